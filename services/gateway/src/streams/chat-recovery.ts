import { EncodedEvent, type ChatEvent, type GapEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { HistoryEntry } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Hole } from './positions.js';
import type { StreamState } from './stream-state.js';

/** After a bus outage, stored messages this much older than its start are also checked. */
const OUTAGE_MARGIN_MS = 1000;

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
