/** The kinds of per-stream subjects; each carries msgpack `StreamEvent` bytes. */
export type StreamSubjectKind = 'chat' | 'reactions' | 'viewers' | 'mod';

/**
 * Every NATS subject Roar uses, built from one prefix so tests and tenants never collide:
 *
 * - `<prefix>.s.<stream>.chat`       chat messages, published once by the accepting gateway
 * - `<prefix>.s.<stream>.reactions`  reaction bursts, one per window, from the aggregator
 * - `<prefix>.s.<stream>.viewers`    viewer totals, when they change, from the aggregator
 * - `<prefix>.s.<stream>.mod`        moderation events (deletions, settings, pins...)
 * - `<prefix>.agg.report.<p>`        gateway → aggregator count reports for partition p
 * - `<prefix>.agg.react.<p>`         gateway → aggregator reaction counts for partition p
 * - `<prefix>.control`               cluster-wide control events (global bans, settings)
 * - `<prefix>.schedule`              scheduled events changed through the admin API
 *
 * A gateway holds one subscription per stream it serves: `<prefix>.s.<stream>.*`.
 */
export class Subjects {
  readonly prefix: string;

  constructor(prefix = 'roar') {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw new Error(`invalid subject prefix "${prefix}"`);
    }
    this.prefix = prefix;
  }

  stream(stream: string, kind: StreamSubjectKind): string {
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

  schedule(): string {
    return `${this.prefix}.schedule`;
  }

  /** Splits a per-stream subject into stream and kind; undefined for other subjects. */
  parseStream(subject: string): { stream: string; kind: StreamSubjectKind } | undefined {
    const head = `${this.prefix}.s.`;
    if (!subject.startsWith(head)) return undefined;
    const rest = subject.slice(head.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const kind = rest.slice(dot + 1);
    if (kind !== 'chat' && kind !== 'reactions' && kind !== 'viewers' && kind !== 'mod')
      return undefined;
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
