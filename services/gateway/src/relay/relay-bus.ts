import { decodeEpoch } from '@roar/aggregation';
import {
  partitionOf,
  RELAY_KEPT_HEADER,
  type Bus,
  type BusHandler,
  type BusHeaders,
  type BusStatusListener,
  type Subjects,
  type Subscription,
} from '@roar/bus';
import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import { nextOrigin } from '../streams/positions.js';

export interface RelayBusOptions {
  subjects: Subjects;
  partitions: number;
  /**
   * A relay whose beat is this late is given up on: chat goes out directly until it beats again,
   * and a message sent to it that has not come back by then is sent directly.
   */
  timeoutMs: number;
  now?: () => number;
}

/** What the relay side of this gateway did, for metrics and tests. */
export interface RelayBusStats {
  /** Accepted chat sent to a relay. */
  relayed: number;
  /** Sent directly: no live relay for its partition. */
  direct: number;
  /** Sent to a relay that then fell silent without forwarding it: sent again, directly. */
  resent: number;
  /** Left out by a live relay: handed back, for its sender alone. */
  kept: number;
}

interface Pending {
  stream: string;
  partition: number;
  /** The relay it went to: a newer owner never saw it. */
  epoch: number;
  bytes: Uint8Array;
  headers: Readonly<Record<string, string>> | undefined;
  at: number;
}

/** Direct sends number their messages under an origin of their own (see `send`). */
interface DirectPositions {
  origin: string;
  seq: number;
}

const MAX_DIRECT_STREAMS = 10_000;

/** What a kept message is handed over with: the gateway then shows it to its sender alone. */
const KEPT: BusHeaders = {
  get: (name) => (name === RELAY_KEPT_HEADER ? '1' : undefined),
  entries: () => [[RELAY_KEPT_HEADER, '1']],
};

/**
 * The gateway's side of sampling at the source (`ROAR_CHAT_RELAY=on`): a `Bus` that sends the
 * chat the gateway publishes to the relay of its stream's partition (the aggregator that owns
 * it, known from its beats) instead of to every gateway, and passes everything else through.
 *
 * Guarantees:
 * - with a live relay, a stream's chat reaches other gateways only as the relay forwards it, with
 *   the relay's positions; a message the relay leaves out is handed back to this gateway's
 *   handlers after `timeoutMs`, without a position and marked `RELAY_KEPT_HEADER`, for its
 *   sender alone;
 * - a relay that stops beating is given up on within `timeoutMs`: chat goes out directly again,
 *   and what was sent to it and never came back is sent directly then (delayed, not lost);
 * - chat sent directly carries positions of this bus's own origin per stream (the accepting
 *   handler's positions are partly spent on relayed messages, so they would show as holes).
 */
export class RelayBus implements Bus {
  readonly #inner: Bus;
  readonly #o: Required<RelayBusOptions>;
  readonly #beats = new Map<number, { epoch: number; at: number }>();
  readonly #pending = new Map<string, Pending>();
  /** Handlers of each stream's subscription (`streamAll`), for messages kept here. */
  readonly #local = new Map<string, Set<BusHandler>>();
  readonly #direct = new Map<string, DirectPositions>();
  readonly #beatSub: Subscription;
  readonly #timer: NodeJS.Timeout;
  readonly stats: RelayBusStats = { relayed: 0, direct: 0, resent: 0, kept: 0 };

  constructor(inner: Bus, options: RelayBusOptions) {
    this.#inner = inner;
    this.#o = { now: Date.now, ...options };
    this.#beatSub = inner.subscribe(options.subjects.relayBeats(), (payload, subject) =>
      this.#onBeat(payload, subject),
    );
    this.#timer = setInterval(() => this.check(), Math.max(10, options.timeoutMs / 4));
    this.#timer.unref();
  }

  get connected(): boolean {
    return this.#inner.connected;
  }

  get onError(): (error: unknown, subject: string) => void {
    return this.#inner.onError;
  }

  set onError(handler: (error: unknown, subject: string) => void) {
    this.#inner.onError = handler;
  }

  publish(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    const parsed = this.#o.subjects.parseStream(subject);
    if (parsed?.kind !== 'chat') return this.#inner.publish(subject, payload, headers);
    const { stream } = parsed;
    const now = this.#o.now();
    const partition = partitionOf(stream, this.#o.partitions);
    const relay = this.#alive(partition, now);
    if (relay === undefined) return this.#send(stream, payload, headers);
    const id = chatId(payload);
    if (id === undefined) return this.#send(stream, payload, headers);
    this.#inner.publish(this.#o.subjects.relayIn(partition, relay.epoch, stream), payload, headers);
    this.#pending.set(id, {
      stream,
      partition,
      epoch: relay.epoch,
      bytes: payload,
      headers,
      at: now,
    });
    this.stats.relayed++;
  }

  subscribe(pattern: string, handler: BusHandler): Subscription {
    const stream = this.#streamOf(pattern);
    const sub = this.#inner.subscribe(pattern, (payload, subject, headers) => {
      // What comes back needs no timer: only decoded while something waits for its return.
      if (this.#pending.size > 0 && subject.endsWith('.chat')) {
        const id = chatId(payload);
        if (id !== undefined) this.#pending.delete(id);
      }
      handler(payload, subject, headers);
    });
    if (stream === undefined) return sub;
    let local = this.#local.get(stream);
    if (local === undefined) this.#local.set(stream, (local = new Set()));
    local.add(handler);
    const held = local;
    return {
      unsubscribe: () => {
        held.delete(handler);
        if (held.size === 0 && this.#local.get(stream) === held) this.#local.delete(stream);
        sub.unsubscribe();
      },
    };
  }

  flush(): Promise<void> {
    return this.#inner.flush();
  }

  onStatus(listener: BusStatusListener): () => void {
    return this.#inner.onStatus(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#beatSub.unsubscribe();
    await this.#inner.close();
  }

  /**
   * Settles messages that did not come back within the timeout (the timer calls it): kept here
   * when the relay they went to beat after it got them (it sampled them out), else sent
   * directly (it went silent, or a new owner took the partition and never saw them).
   */
  check(now = this.#o.now()): void {
    for (const [id, m] of this.#pending) {
      // Insertion order is time order: the rest are younger.
      if (now - m.at < this.#o.timeoutMs) break;
      this.#pending.delete(id);
      const beat = this.#beats.get(m.partition);
      const alive = beat !== undefined && now - beat.at < this.#o.timeoutMs;
      if (alive && beat.epoch === m.epoch && beat.at > m.at) {
        this.#keep(m);
      } else {
        this.#send(m.stream, m.bytes, m.headers);
        this.stats.resent++;
      }
    }
  }

  /** Chat sent directly, under this bus's positions for the stream. */
  #send(stream: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    const event = decodeChat(payload);
    if (event === undefined) return; // only this gateway publishes here: never happens
    let d = this.#direct.get(stream);
    if (d === undefined) {
      if (this.#direct.size >= MAX_DIRECT_STREAMS) this.#direct.clear();
      d = { origin: nextOrigin(), seq: 0 };
      this.#direct.set(stream, d);
    }
    event.origin = d.origin;
    event.seq = ++d.seq;
    const bytes = EncodedEvent.of(event).msgpack;
    this.#inner.publish(this.#o.subjects.stream(stream, 'chat'), bytes, headers);
    this.stats.direct++;
  }

  /** A message the relay left out, back to this gateway (for its sender), with no position. */
  #keep(m: Pending): void {
    const event = decodeChat(m.bytes);
    const handlers = this.#local.get(m.stream);
    if (event === undefined || handlers === undefined) return;
    delete event.origin;
    delete event.seq;
    const bytes = EncodedEvent.of(event).msgpack;
    const subject = this.#o.subjects.stream(m.stream, 'chat');
    this.stats.kept++;
    for (const handler of [...handlers]) {
      try {
        handler(bytes, subject, KEPT);
      } catch (error) {
        this.#inner.onError(error, subject);
      }
    }
  }

  #onBeat(payload: Uint8Array, subject: string): void {
    const partition = Number(subject.slice(subject.lastIndexOf('.') + 1));
    const epoch = decodeEpoch(payload);
    if (!Number.isSafeInteger(partition) || epoch === undefined) return;
    const now = this.#o.now();
    const known = this.#beats.get(partition);
    // A paused owner that resumes beats under its old epoch while the new one is alive.
    if (known !== undefined && epoch < known.epoch && now - known.at < this.#o.timeoutMs) return;
    this.#beats.set(partition, { epoch, at: now });
  }

  #alive(partition: number, now: number): { epoch: number } | undefined {
    const beat = this.#beats.get(partition);
    return beat !== undefined && now - beat.at < this.#o.timeoutMs ? beat : undefined;
  }

  #streamOf(pattern: string): string | undefined {
    const head = `${this.#o.subjects.prefix}.s.`;
    if (!pattern.startsWith(head) || !pattern.endsWith('.*')) return undefined;
    return pattern.slice(head.length, -2);
  }
}

function decodeChat(payload: Uint8Array): ChatEvent | undefined {
  try {
    const event = EncodedEvent.fromMsgpack<ChatEvent>(payload.slice()).event;
    return typeof event === 'object' && event !== null && event.type === 'chat' ? event : undefined;
  } catch {
    return undefined;
  }
}

function chatId(payload: Uint8Array): string | undefined {
  return decodeChat(payload)?.id;
}
