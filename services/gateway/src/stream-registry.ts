import { partitionOf, type Bus, type Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent, type StreamEvent, type ViewersEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Store, StreamSettings } from '@roar/store';
import type { GatewayMetrics } from './metrics.js';
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
      state.totalsAt = this.#o.now();
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

  /**
   * Marks the figures of streams whose count owner went silent for `staleAfterMs` stale, and
   * queues the stale mark for their viewers. O(streams); run once per report interval.
   */
  markStale(now: number, staleAfterMs: number): void {
    for (const state of this.#streams.values()) {
      const event = state.markStale(now, staleAfterMs);
      if (!event) continue;
      this.#o.metrics.staleTotals.inc();
      state.pendingViewers = event;
      this.#o.onPending(state);
    }
  }

  close(): void {
    for (const state of this.#streams.values()) state.subscription?.unsubscribe();
    this.#streams.clear();
  }

  /** Reloads every held stream's moderation from the store (after the bus was down a while). */
  reloadModeration(): void {
    for (const state of this.#streams.values()) {
      loadStreamModeration(state, this.#o.store, this.#o.now()).catch((error: unknown) =>
        this.#o.log.warn('moderation reload failed', { stream: state.id, error }),
      );
    }
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
    const moderation = loadStreamModeration(state, store, this.#o.now()).catch((error: unknown) => {
      // Enforcement falls back to the default rules and global bans until the next reload.
      metrics.storeReadFailures.inc();
      log.warn('moderation load failed', { stream: state.id, error });
    });
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
      if (!state.acceptTotals(event, this.#o.now())) {
        this.#o.metrics.fencedTotals.inc();
        return;
      }
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
