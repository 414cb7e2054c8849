import { RELAY_KEPT_HEADER, type BusHeaders, type Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent, type StreamEvent, type ViewersEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { GatewayMetrics } from '../base/metrics.js';
import { applyModEvent } from './moderation-sync.js';
import type { StreamState } from './stream-state.js';

/**
 * Takes one decoded message of a per-stream subject kind it owns (a stream feature; see
 * `features/feature.ts`): false when it is malformed, true once it is applied or queued.
 */
export interface BusReceiver {
  receive(state: StreamState, event: EncodedEvent, headers: BusHeaders | undefined): boolean;
}

/** The stream features, as the registry sees them (see `features/registry.ts`). */
export interface StreamFeatureHooks {
  /** The feature that owns per-stream subject `kind`, if any. */
  receiver(kind: string): BusReceiver | undefined;
  /** The gateway started holding `state`: the features load what they keep for it. */
  open(state: StreamState): Promise<void>;
  /** The gateway stopped holding `stream`. */
  forget(stream: string): void;
}

/** What taking in a stream's bus events needs (a slice of `StreamRegistryOptions`). */
export interface BusEventOptions {
  /** The stream features (read when a message arrives: they are built after the registry). */
  features: () => StreamFeatureHooks;
  subjects: Subjects;
  metrics: GatewayMetrics;
  log: Logger;
  /** Called when a stream has something to send in the next tick. */
  onPending: (state: StreamState) => void;
  /** A message was deleted by a moderator (a delayed copy of it must not be released). */
  onDelete: (id: string) => void;
  now: () => number;
  /** Chat the relay left out, handed back by the relay bus: for its sender alone. */
  onKept?: ((state: StreamState, event: EncodedEvent<ChatEvent>) => void) | undefined;
  /**
   * The chat this gateway accepted and has not fanned out yet (`OwnMessages`): a payload that is
   * one of them, byte for byte, is taken as already decoded.
   */
  own?: { known(payload: Uint8Array): EncodedEvent | undefined } | undefined;
}

/**
 * One message from a held stream's subjects: decoded once (a copy is kept; this gateway's own
 * chat is not decoded at all: its accepted form is kept), checked against its subject, applied to
 * the stream (moderation events, totals fenced by epoch; any other kind goes to the stream
 * feature that owns it) and queued for the next tick. Malformed or misplaced messages are
 * counted and dropped.
 */
export function receiveBusEvent(
  state: StreamState,
  payload: Uint8Array,
  subject: string,
  headers: BusHeaders | undefined,
  o: BusEventOptions,
): void {
  const parsed = o.subjects.parseStream(subject);
  // This gateway's own chat comes back as the bytes it packed: its decoded form is kept.
  let encoded = o.own?.known(payload);
  let event: StreamEvent;
  if (encoded !== undefined) {
    event = encoded.event;
  } else {
    try {
      // A copy: NATS hands out views into its read buffer, which kept history would pin.
      encoded = EncodedEvent.fromMsgpack(payload.slice());
      event = encoded.event;
    } catch (error) {
      o.metrics.badBusMessages.inc();
      o.log.warn('undecodable bus message', { subject, error });
      return;
    }
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
  if (parsed.kind === 'viewers') {
    if (event.type !== 'viewers') {
      o.metrics.badBusMessages.inc();
      return;
    }
    const taken = state.acceptTotals(event, o.now());
    if (taken === 'fenced') o.metrics.fencedTotals.inc();
    // An unchanged refresh says the count's owner is alive; viewers have these figures already.
    if (taken !== 'new') return;
    state.queueViewers(encoded as EncodedEvent<ViewersEvent>);
  } else if (headers?.get(RELAY_KEPT_HEADER) !== undefined && o.onKept) {
    // Sampling at the source (the relay bus): not for this gateway's other viewers.
    return o.onKept(state, encoded as EncodedEvent<ChatEvent>);
  } else if (!o.features().receiver(parsed.kind)?.receive(state, encoded, headers)) {
    o.metrics.badBusMessages.inc();
    return;
  }
  o.onPending(state);
}
