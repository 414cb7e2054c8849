import { EncodedEvent, type ChatEvent, type GapEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { HistoryEntry } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Hole } from './positions.js';
import type { StreamState } from './stream-state.js';

/** After a bus outage, stored messages this much older than its start are also checked. */
const OUTAGE_MARGIN_MS = 1000;

/** What one recovery read of a stream's history is for: the holes due, and an outage's start. */
export interface RecoveryDue {
  holes: readonly Hole[];
  /** Every message since then may have been missed (a bus outage); undefined when none. */
  since: number | undefined;
}

/**
 * What a stream's live chat missed and is waiting to recover from history: holes in positions,
 * and a bus outage. Written by the fanout (holes) and the registry (outages, reads) through these
 * methods; at most one read is in flight per stream.
 */
export class ChatRecovery {
  #holes: Hole[] = [];
  /** Every message since `since` may have been missed; `at` is when the bus came back. */
  #missed: { since: number; at: number } | undefined;
  #reading = false;

  /** Holes seen in live chat, waiting to be filled from history (or reported as a gap). */
  get holes(): readonly Hole[] {
    return this.#holes;
  }

  /** `missing` positions of `origin` before `seq` did not arrive (seen at `now`). */
  noteHole(origin: string, seq: number, missing: number, now: number): void {
    this.#holes.push({ origin, from: seq - missing, to: seq - 1, at: now });
  }

  /**
   * The bus was away from `since` until `at`: anything published meanwhile may be missing. An
   * outage not yet recovered is extended, never shortened.
   */
  noteOutage(since: number, at: number): void {
    this.#missed = { since: Math.min(this.#missed?.since ?? Infinity, since), at };
  }

  /**
   * Takes what is due for a read at `now` (holes and an outage at least `delayMs` old), and marks
   * a read in flight until `settled()`. Undefined while a read is in flight or nothing is due.
   */
  takeDue(now: number, delayMs: number): RecoveryDue | undefined {
    if (this.#reading) return undefined;
    const holes = this.#holes.filter((h) => now - h.at >= delayMs);
    const missed = this.#missed;
    const since = missed !== undefined && now - missed.at >= delayMs ? missed.since : undefined;
    if (holes.length === 0 && since === undefined) return undefined;
    if (holes.length > 0) this.#holes = this.#holes.filter((h) => !holes.includes(h));
    if (since !== undefined) this.#missed = undefined;
    this.#reading = true;
    return { holes, since };
  }

  /** The read that `takeDue` started has finished (filled or not). */
  settled(): void {
    this.#reading = false;
  }
}

/**
 * Queues on a stream what live chat missed, from `stored` history (undefined: it could not be
 * read): the messages that fill `holes`, and after a bus outage that began at `since` every
 * stored message newer than what the stream has; what is still missing goes out as a `gap`
 * event. Returns true when the stream has news for its viewers (or an outage was checked).
 */
export function fillFromHistory(
  state: StreamState,
  holes: readonly Hole[],
  since: number | undefined,
  stored: readonly HistoryEntry[] | undefined,
  o: { metrics: GatewayMetrics; log: Logger },
): boolean {
  const found: EncodedEvent[] = [];
  const filled = holes.map(() => 0);
  for (const entry of stored ?? []) {
    const encoded = EncodedEvent.fromMsgpack<ChatEvent>(entry.bytes);
    let event: ChatEvent;
    try {
      event = encoded.event;
    } catch (error) {
      o.log.warn('undecodable stored message', { stream: state.id, error });
      continue;
    }
    const { origin, seq } = event;
    const i =
      origin === undefined || seq === undefined
        ? -1
        : holes.findIndex((h) => h.origin === origin && seq >= h.from && seq <= h.to);
    if (i >= 0) {
      filled[i] = (filled[i] ?? 0) + 1;
      found.push(encoded);
      continue;
    }
    if (since === undefined || state.recent.has(entry.id)) continue;
    const newest = origin === undefined ? undefined : state.recent.newest(origin);
    const missed =
      newest !== undefined && seq !== undefined
        ? seq > newest
        : event.ts >= since - OUTAGE_MARGIN_MS;
    if (missed) found.push(encoded);
  }
  let missing = 0;
  holes.forEach((h, i) => {
    const size = h.to - h.from + 1;
    const got = filled[i] ?? 0;
    missing += Math.max(0, size - got);
    state.recent.settle(h.origin, h.to, got >= size);
  });
  for (const e of found) state.enqueue(e);
  o.metrics.chatRecovered.inc(found.length);
  // An outage whose history could not be read may have lost any number of messages (0: unknown).
  if (missing > 0 || (since !== undefined && stored === undefined)) {
    const gap: GapEvent = { type: 'gap', missed: missing };
    state.enqueue(EncodedEvent.of(gap));
    o.metrics.chatGaps.inc({ reason: missing > 0 ? 'hole' : 'outage' });
    o.log.warn('chat gap', { stream: state.id, missing, outage: since !== undefined });
  }
  return found.length > 0 || missing > 0 || since !== undefined;
}
