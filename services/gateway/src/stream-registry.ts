import { partitionOf, type Bus, type Subjects } from '@roar/bus';
import {
  EncodedEvent,
  type ChatEvent,
  type StreamEvent,
  type ViewerCount,
  type ViewersEvent,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Store, StreamSettings } from '@roar/store';
import type { GatewayMetrics } from './metrics.js';
import { publicSettings } from './moderation/settings.js';
import { applyModEvent, loadStreamModeration } from './moderation/stream-sync.js';
import { StreamState } from './stream-state.js';

export interface StreamRegistryOptions {
  bus: Bus;
  store: Store;
  subjects: Subjects;
  partitions: number;
  historyCapacity: number;
  lingerMs: number;
  metrics: GatewayMetrics;
  log: Logger;
  /** Called when a stream has something to send in the next tick. */
  onPending: (state: StreamState) => void;
  /** Called before a stream is forgotten. */
  onForget: (state: StreamState) => void;
  /** The rules of a stream no moderator has changed. */
  defaults: StreamSettings;
  /** A message was deleted by a moderator (a delayed copy of it must not be released). */
  onDelete: (id: string) => void;
  now: () => number;
}

/**
 * The streams this gateway holds. A stream's bus subscription exists from its first local viewer
 * until `lingerMs` after its last one left (so a viewer who reconnects at once costs nothing), and
 * its history is read from the store once, however many viewers join at the same moment.
 */
export class StreamRegistry {
  readonly #streams = new Map<string, StreamState>();
  readonly #o: StreamRegistryOptions;

  constructor(options: StreamRegistryOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#streams.size;
  }

  get(stream: string): StreamState | undefined {
    return this.#streams.get(stream);
  }

  values(): IterableIterator<StreamState> {
    return this.#streams.values();
  }

  /** Counts one more local viewer of `stream`, creating and subscribing the stream if needed. */
  acquire(stream: string, identityKey: string): StreamState {
    let state = this.#streams.get(stream);
    if (!state) {
      state = new StreamState(
        stream,
        partitionOf(stream, this.#o.partitions),
        this.#o.historyCapacity,
        this.#o.defaults,
      );
      this.#streams.set(stream, state);
      this.#open(state);
    }
    state.viewers++;
    state.emptySince = undefined;
    state.noteIdentity(identityKey);
    return state;
  }

  release(state: StreamState, now: number): void {
    if (state.viewers <= 0) return;
    state.viewers--;
    if (state.viewers === 0) state.emptySince = now;
  }

  /**
   * Forgets streams that have been empty for the linger time and whose zero count has reached the
   * aggregator, unsubscribing from the bus.
   */
  sweep(now: number): void {
    for (const state of this.#streams.values()) {
      if (state.viewers > 0 || state.emptySince === undefined) continue;
      if (now - state.emptySince < this.#o.lingerMs || state.lastReportedAt <= state.emptySince)
        continue;
      state.subscription?.unsubscribe();
      this.#streams.delete(state.id);
      this.#o.onForget(state);
    }
  }

  close(): void {
    for (const state of this.#streams.values()) state.subscription?.unsubscribe();
    this.#streams.clear();
  }

  /**
   * Reloads held streams' moderation from the store: every stream (news may have been missed),
   * or only those still on provisional rules. Resolves when every load has settled; a failed
   * one leaves its stream as it was, to be retried. A load is discarded unless `current()` still
   * holds when its read returns (see `loadStreamModeration`).
   */
  async reloadModeration(which: 'all' | 'provisional', current?: () => boolean): Promise<void> {
    const loads: Promise<void>[] = [];
    for (const state of this.#streams.values())
      if (which === 'all' || state.mod.provisional)
        loads.push(this.#loadModeration(state, current));
    await Promise.all(loads);
  }

  /** Counts held streams on provisional rules (refusing non-privileged chat) into the gauge. */
  provisionalCount(): number {
    let n = 0;
    for (const state of this.#streams.values()) if (state.mod.provisional) n++;
    this.#o.metrics.provisionalStreams.set(n);
    return n;
  }

  #loadModeration(state: StreamState, current?: () => boolean, opening = false): Promise<void> {
    const { store, metrics, log, now } = this.#o;
    const before = JSON.stringify(publicSettings(state.mod.settings));
    return loadStreamModeration(state, store, now, current).then(
      () => {
        // Viewers who joined on provisional rules hear the real ones.
        const settings = publicSettings(state.mod.settings);
        if (JSON.stringify(settings) === before) return;
        state.enqueue(EncodedEvent.of({ type: 'settings', settings }));
        this.#o.onPending(state);
      },
      (error: unknown) => {
        // Non-privileged chat stays refused here until a retry succeeds (see ControlListener).
        metrics.moderationLoadFailures.inc({ scope: 'stream' });
        // Retried every second through an outage: the metric counts them, the log says it once.
        if (opening) log.warn('moderation load failed', { stream: state.id, error });
        else log.debug('moderation reload failed', { stream: state.id, error });
      },
    );
  }

  #open(state: StreamState): void {
    const { bus, subjects, store, metrics, log, historyCapacity } = this.#o;
    state.subscription = bus.subscribe(subjects.streamAll(state.id), (payload, subject) =>
      this.#onBusMessage(state, payload, subject),
    );
    metrics.busSubscriptions.inc();
    const history = store.history.recent(state.id, historyCapacity).then(
      (entries) => {
        state.recent.seed(
          entries.map((e) => ({ id: e.id, event: EncodedEvent.fromMsgpack<ChatEvent>(e.bytes) })),
        );
      },
      (error: unknown) => {
        // Viewers still join and chat flows; they miss the scrollback, and the metric says so.
        metrics.historyLoadFailures.inc();
        log.warn('history load failed', { stream: state.id, error });
      },
    );
    const totals = store.stats.totals(state.id).then(
      (totals) => {
        state.totals ??= totals;
      },
      (error: unknown) => {
        metrics.storeReadFailures.inc();
        log.debug('totals load failed', { stream: state.id, error });
      },
    );
    const moderation = this.#loadModeration(state, undefined, true).finally(() =>
      this.provisionalCount(),
    );
    state.ready = Promise.all([history, totals, moderation]).then(() => undefined);
  }

  #onBusMessage(state: StreamState, payload: Uint8Array, subject: string): void {
    const parsed = this.#o.subjects.parseStream(subject);
    let encoded: EncodedEvent;
    let event: StreamEvent;
    try {
      // A copy: NATS hands out views into its read buffer, which kept history would pin.
      encoded = EncodedEvent.fromMsgpack(payload.slice());
      event = encoded.event;
    } catch (error) {
      this.#o.metrics.badBusMessages.inc();
      this.#o.log.warn('undecodable bus message', { subject, error });
      return;
    }
    if (!parsed || typeof event !== 'object' || event === null) {
      this.#o.metrics.badBusMessages.inc();
      return;
    }
    if (parsed.kind === 'mod') {
      if (applyModEvent(state, event, this.#o.onDelete)) {
        state.enqueue(encoded);
        this.#o.onPending(state);
      } else {
        this.#o.metrics.badBusMessages.inc();
      }
      return;
    }
    if (event.type !== expectedType(parsed.kind)) {
      this.#o.metrics.badBusMessages.inc();
      return;
    }
    if (event.type === 'reactions') {
      state.mergeReactions(event);
    } else if (event.type === 'viewers') {
      const totals: ViewerCount = { total: event.total, text: event.text };
      if (event.uniques !== undefined) totals.uniques = event.uniques;
      if (event.peak !== undefined) totals.peak = event.peak;
      state.totals = totals;
      state.pendingViewers = encoded as EncodedEvent<ViewersEvent>;
    } else {
      state.enqueue(encoded);
    }
    this.#o.onPending(state);
  }
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
