import { RELAY_KEPT_HEADER, type BusHeaders, type Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent, type StreamEvent, type ViewersEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Tracing } from '../base/tracing.js';
import { applyModEvent } from './moderation-sync.js';
import type { StreamState } from './stream-state.js';

/** What taking in a stream's bus events needs (a slice of `StreamRegistryOptions`). */
export interface BusEventOptions {
  subjects: Subjects;
  metrics: GatewayMetrics;
  log: Logger;
  /** Called when a stream has something to send in the next tick. */
  onPending: (state: StreamState) => void;
  /** A message was deleted by a moderator (a delayed copy of it must not be released). */
  onDelete: (id: string) => void;
  now: () => number;
  tracing?: Tracing | undefined;
  /** Chat the relay left out, handed back by the relay bus: for its sender alone. */
  onKept?: ((state: StreamState, event: EncodedEvent<ChatEvent>) => void) | undefined;
}

/**
 * One message from a held stream's subjects: decoded once (a copy is kept), checked against its
 * subject, applied to the stream (moderation events, reaction bursts, totals fenced by epoch) and
 * queued for the next tick. Malformed or misplaced messages are counted and dropped.
 */
export function receiveBusEvent(
  state: StreamState,
  payload: Uint8Array,
  subject: string,
  headers: BusHeaders | undefined,
  o: BusEventOptions,
): void {
  const parsed = o.subjects.parseStream(subject);
  let encoded: EncodedEvent;
  let event: StreamEvent;
  try {
    // A copy: NATS hands out views into its read buffer, which kept history would pin.
    encoded = EncodedEvent.fromMsgpack(payload.slice());
    event = encoded.event;
  } catch (error) {
    o.metrics.badBusMessages.inc();
    o.log.warn('undecodable bus message', { subject, error });
    return;
  }
  if (!parsed || typeof event !== 'object' || event === null) {
    o.metrics.badBusMessages.inc();
    return;
  }
  if (parsed.kind === 'mod') {
    if (applyModEvent(state, event, o.onDelete)) {
      state.enqueue(encoded);
      o.onPending(state);
    } else {
      o.metrics.badBusMessages.inc();
    }
    return;
  }
  if (event.type !== expectedType(parsed.kind)) {
    o.metrics.badBusMessages.inc();
    return;
  }
  if (event.type === 'reactions') {
    state.mergeReactions(event);
  } else if (event.type === 'viewers') {
    if (!state.acceptTotals(event, o.now())) {
      o.metrics.fencedTotals.inc();
      return;
    }
    state.queueViewers(encoded as EncodedEvent<ViewersEvent>);
  } else if (headers?.get(RELAY_KEPT_HEADER) !== undefined && o.onKept) {
    // Sampling at the source (features/relay): not for this gateway's other viewers.
    return o.onKept(state, encoded as EncodedEvent<ChatEvent>);
  } else {
    // Only traced messages carry headers: untraced chat does not reach the tracer.
    if (headers !== undefined && event.type === 'chat')
      o.tracing?.chatReceived(encoded, state.id, headers);
    state.enqueue(encoded);
  }
  o.onPending(state);
}

function expectedType(kind: string): StreamEvent['type'] | undefined {
  switch (kind) {
    case 'chat':
      return 'chat';
    case 'reactions':
      return 'reactions';
    case 'viewers':
      return 'viewers';
    default:
      return undefined;
  }
}
