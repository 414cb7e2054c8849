import { randomBytes } from 'node:crypto';
import type { Bus, BusHeaders, Subjects, Subscription } from '@roar/bus';
import { EncodedEvent, type ChatEvent } from '@roar/protocol';

export interface ChatRelayOptions {
  bus: Bus;
  subjects: Subjects;
  /**
   * Ordinary messages forwarded per stream per second (a burst of one second's worth): a small
   * multiple of what one viewer is shown (`ROAR_CHAT_BUDGET`), so every gateway still has more
   * than it can show. Priority messages (admins, moderators, broadcasters) always go.
   */
  ratePerS: number;
  /** How often an owned partition's beat goes out. Default 250 ms. */
  beatMs?: number;
  /**
   * The gateways' relay timeout. A relay whose own timer ran this late (it was paused: SIGSTOP,
   * a VM stall) forwards nothing and stays silent for as long again: the gateways have given up
   * on it and sent its backlog themselves. Default 1000 ms.
   */
  maxAgeMs?: number;
  /** Streams without chat for this long are forgotten (their next message starts a new origin). */
  idleMs?: number;
  now?: () => number;
}

/** What the relay did since it started. */
export interface ChatRelayStats {
  received: number;
  forwarded: number;
  /** Left out by the rate: the gateway that accepted one shows it to its sender itself. */
  sampled: number;
  /** Read right after the relay's own pause (a backlog the gateways have sent themselves). */
  late: number;
  /** Not a chat event. */
  bad: number;
}

interface RelayedStream {
  origin: string;
  seq: number;
  tokens: number;
  at: number;
}

interface Owned {
  epoch: number;
  sub: Subscription;
}

const PROCESS_TAG = randomBytes(6).toString('base64url');
const PRIORITY = new Set(['admin', 'moderator', 'broadcaster']);

/**
 * Sampling at the source: the owner of an aggregator partition relays its streams' chat. Gateways
 * publish accepted chat to the partition's relay subject for the owner's lease epoch, and the
 * relay forwards to the stream's chat subject at most `ratePerS` ordinary messages a second per
 * stream (everything while chat is slower than that; priority messages always), so what NATS
 * copies out per stream is bounded by `ratePerS × gateway processes`, whatever the chat rate.
 *
 * Guarantees:
 * - forwarded messages carry the relay's positions (`origin` new per relay and stream, `seq`
 *   1, 2, 3...), so a gateway sees a hole only where a forwarded message was lost, never where
 *   one was sampled out;
 * - only the current epoch's subject is read: once gateways have heard a newer owner's beat, a
 *   stale owner (paused past its lease) receives nothing; the backlog it reads on resuming is
 *   dropped (its timer shows the pause: no clocks of other hosts are compared);
 * - a beat per owned partition every `beatMs` while the bus is up; gateways that miss beats for
 *   their timeout publish chat directly (fan-out without sampling at the source).
 */
export class ChatRelay {
  readonly #o: Required<ChatRelayOptions>;
  readonly #owned = new Map<number, Owned>();
  readonly #streams = new Map<string, RelayedStream>();
  readonly #stats: ChatRelayStats = { received: 0, forwarded: 0, sampled: 0, late: 0, bad: 0 };
  #opened = 0;
  #timer: NodeJS.Timeout | undefined;
  /** When `tick` last ran; undefined until the first. */
  #lastTick: number | undefined;
  /** After a pause of its own, the relay stays silent until then. */
  #quietUntil = 0;

  constructor(options: ChatRelayOptions) {
    if (!(options.ratePerS > 0)) throw new Error('ChatRelayOptions.ratePerS must be positive');
    this.#o = { beatMs: 250, maxAgeMs: 1000, idleMs: 60_000, now: Date.now, ...options };
  }

  get stats(): Readonly<ChatRelayStats> {
    return this.#stats;
  }

  get partitions(): number[] {
    return [...this.#owned.keys()];
  }

  start(): void {
    this.#lastTick ??= this.#o.now();
    this.#timer ??= setInterval(() => this.tick(), this.#o.beatMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const p of [...this.#owned.keys()]) this.disown(p);
  }

  /** Relays `partition`'s chat under lease `epoch`, and beats for it at once. */
  own(partition: number, epoch: number): void {
    const held = this.#owned.get(partition);
    if (held?.epoch === epoch) return;
    held?.sub.unsubscribe();
    const sub = this.#o.bus.subscribe(
      this.#o.subjects.relayInAll(partition, epoch),
      (payload, subject, headers) => this.#relay(payload, subject, headers),
    );
    this.#owned.set(partition, { epoch, sub });
    if (this.#o.now() >= this.#quietUntil) this.#beat(partition, epoch);
  }

  disown(partition: number): void {
    this.#owned.get(partition)?.sub.unsubscribe();
    this.#owned.delete(partition);
  }

  /**
   * Beats for every owned partition and forgets idle streams (the timer calls it). A tick later
   * than `maxAgeMs` means this process was paused: quiet for as long again.
   */
  tick(now = this.#o.now()): void {
    if (this.#paused(now)) this.#quietUntil = now + this.#o.maxAgeMs;
    this.#lastTick = now;
    if (now >= this.#quietUntil) for (const [p, { epoch }] of this.#owned) this.#beat(p, epoch);
    for (const [id, s] of this.#streams) if (now - s.at > this.#o.idleMs) this.#streams.delete(id);
  }

  #beat(partition: number, epoch: number): void {
    // Dropped while NATS is down, as it should be: gateways then stop trusting this relay.
    if (this.#o.bus.connected)
      this.#o.bus.publish(this.#o.subjects.relayBeat(partition), encodeEpoch(epoch));
  }

  #relay(payload: Uint8Array, subject: string, headers: BusHeaders | undefined): void {
    this.#stats.received++;
    const stream = subject.slice(subject.lastIndexOf('.') + 1);
    let event: ChatEvent;
    try {
      event = EncodedEvent.fromMsgpack<ChatEvent>(payload.slice()).event;
    } catch {
      this.#stats.bad++;
      return;
    }
    if (typeof event !== 'object' || event === null || event.type !== 'chat') {
      this.#stats.bad++;
      return;
    }
    const now = this.#o.now();
    if (this.#paused(now) || now < this.#quietUntil) {
      this.#stats.late++;
      return;
    }
    const s = this.#stream(stream, now);
    const priority = event.user.roles?.some((r) => PRIORITY.has(r)) ?? false;
    if (!priority && !this.#take(s, now)) {
      this.#stats.sampled++;
      return;
    }
    event.origin = s.origin;
    event.seq = ++s.seq;
    const out = headers === undefined ? undefined : Object.fromEntries(headers.entries());
    this.#o.bus.publish(
      this.#o.subjects.stream(stream, 'chat'),
      EncodedEvent.of(event).msgpack,
      out,
    );
    this.#stats.forwarded++;
  }

  #paused(now: number): boolean {
    return this.#lastTick !== undefined && now - this.#lastTick > this.#o.maxAgeMs;
  }

  #stream(id: string, now: number): RelayedStream {
    let s = this.#streams.get(id);
    if (s === undefined) {
      const origin = `relay.${PROCESS_TAG}.${(this.#opened++).toString(36)}`;
      s = { origin, seq: 0, tokens: this.#o.ratePerS, at: now };
      this.#streams.set(id, s);
    }
    return s;
  }

  #take(s: RelayedStream, now: number): boolean {
    const rate = this.#o.ratePerS;
    s.tokens = Math.min(rate, s.tokens + ((now - s.at) / 1000) * rate);
    s.at = now;
    if (s.tokens < 1) return false;
    s.tokens--;
    return true;
  }
}

/** A beat's payload: the epoch in decimal ASCII. */
export function encodeEpoch(epoch: number): Uint8Array {
  return new TextEncoder().encode(String(epoch));
}

/** The epoch in a beat, or undefined when it is not one. */
export function decodeEpoch(payload: Uint8Array): number | undefined {
  const n = Number(new TextDecoder().decode(payload));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
