/**
 * The core kinds of per-stream subjects; each carries msgpack `StreamEvent` bytes. Gateway stream
 * features add their own (lowercase letters and `_`; see `STREAM_KIND`).
 */
export type StreamSubjectKind = 'chat' | 'reactions' | 'viewers' | 'mod';

/** What a per-stream subject kind may be: a stream feature's kind never needs more. */
const STREAM_KIND = /^[a-z_]+$/;
/** Per-stream subjects kept split (`parseStream`). */
const PARSED_KEPT = 10_000;

/**
 * Every NATS subject Roar uses, built from one prefix so tests and tenants never collide:
 *
 * - `<prefix>.s.<stream>.chat`       chat messages, published once by the accepting gateway
 * - `<prefix>.s.<stream>.reactions`  reaction bursts, one per window, from the aggregator
 * - `<prefix>.s.<stream>.viewers`    viewer totals, when they change, from the aggregator
 * - `<prefix>.s.<stream>.mod`        moderation events (deletions, settings, pins...)
 * - `<prefix>.s.<stream>.<kind>`     a gateway stream feature's own kind (`[a-z_]+`, e.g. polls)
 * - `<prefix>.agg.report.<p>`        gateway → aggregator count reports for partition p
 * - `<prefix>.agg.react.<p>`         gateway → aggregator reaction counts for partition p
 * - `<prefix>.control`               cluster-wide control events (global bans, settings)
 * - `<prefix>.relay.in.<p>.<epoch>.<stream>`  accepted chat, gateway → chat relay (`ROAR_CHAT_RELAY`)
 * - `<prefix>.relay.beat.<p>`        the chat relay of partition p is alive (payload: its epoch)
 * - `<prefix>.schedule`              scheduled events changed through the admin API
 *
 * A gateway holds one subscription per stream it serves: `<prefix>.s.<stream>.*`.
 */
export class Subjects {
  readonly prefix: string;
  readonly #parsed = new Map<string, Readonly<{ stream: string; kind: string }>>();

  constructor(prefix = 'roar') {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw new Error(`invalid subject prefix "${prefix}"`);
    }
    this.prefix = prefix;
  }

  stream(stream: string, kind: StreamSubjectKind | (string & {})): string {
    return `${this.prefix}.s.${stream}.${kind}`;
  }

  /** Everything about one stream, for the gateway's single subscription. */
  streamAll(stream: string): string {
    return `${this.prefix}.s.${stream}.*`;
  }

  report(partition: number): string {
    return `${this.prefix}.agg.report.${partition}`;
  }

  reactionReport(partition: number): string {
    return `${this.prefix}.agg.react.${partition}`;
  }

  control(): string {
    return `${this.prefix}.control`;
  }

  // The chat relay's subjects (docs/architecture.md, "Sampling at the source").

  /** Chat for the relay owning `partition` under lease `epoch`. */
  relayIn(partition: number, epoch: number, stream: string): string {
    return `${this.prefix}.relay.in.${partition}.${epoch}.${stream}`;
  }

  /** Everything for one relay owner: its subscription. */
  relayInAll(partition: number, epoch: number): string {
    return `${this.prefix}.relay.in.${partition}.${epoch}.*`;
  }

  relayBeat(partition: number): string {
    return `${this.prefix}.relay.beat.${partition}`;
  }

  /** Every partition's relay beat: a gateway's one subscription to them. */
  relayBeats(): string {
    return `${this.prefix}.relay.beat.*`;
  }

  schedule(): string {
    return `${this.prefix}.schedule`;
  }

  /**
   * Splits a per-stream subject into stream and kind (any `[a-z_]+` kind: which are in use is the
   * gateway's to know); undefined for other subjects.
   */
  parseStream(subject: string): Readonly<{ stream: string; kind: string }> | undefined {
    // A stream's subjects come back message after message: each is split once.
    const known = this.#parsed.get(subject);
    if (known !== undefined) return known;
    const parsed = this.#parse(subject);
    if (parsed === undefined) return undefined;
    // Bounded: a gateway holds a few thousand streams at most, of a few kinds each.
    if (this.#parsed.size >= PARSED_KEPT) this.#parsed.clear();
    this.#parsed.set(subject, parsed);
    return parsed;
  }

  #parse(subject: string): Readonly<{ stream: string; kind: string }> | undefined {
    const head = `${this.prefix}.s.`;
    if (!subject.startsWith(head)) return undefined;
    const rest = subject.slice(head.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const kind = rest.slice(dot + 1);
    if (!STREAM_KIND.test(kind)) return undefined;
    return { stream: rest.slice(0, dot), kind };
  }
}

/**
 * The aggregator partition that owns `stream` (FNV-1a, 32 bits). Every gateway and aggregator
 * must agree on `partitions`.
 */
export function partitionOf(stream: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
