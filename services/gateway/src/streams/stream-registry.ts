import { partitionOf, type Bus, type Subjects, type Subscription } from '@roar/bus';
import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { HistoryEntry, Store, StreamSettings } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import { publicSettings } from '../moderation/rules/settings.js';
import { loadStreamModeration } from './moderation-sync.js';
import { receiveBusEvent, type BusEventOptions, type StreamFeatureHooks } from './bus-events.js';
import { fillFromHistory } from './chat-recovery.js';
import type { Hole } from './positions.js';
import { StreamState } from './stream-state.js';

/**
 * How old a hole must be before history is read to fill it: the accepting gateway writes its
 * messages at its next tick, so by then they are stored if they will be.
 */
export const RECOVERY_DELAY_MS = 500;

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
  /** The stream features: a held stream's other subject kinds go to them; told of forgotten streams. */
  features: () => StreamFeatureHooks;
  /** Chat the relay left out, for its sender alone (see `BusEventOptions.onKept`). */
  onKept?: ((state: StreamState, event: EncodedEvent<ChatEvent>) => void) | undefined;
  /** This gateway's own chat, known when the bus brings it back (see `BusEventOptions.own`). */
  own?: BusEventOptions['own'];
}

/**
 * The streams this gateway holds. A stream's bus subscription exists from its first local viewer
 * until `lingerMs` after its last one left (so a viewer who reconnects at once costs nothing), and
 * its history is read from the store once, however many viewers join at the same moment.
 */
export class StreamRegistry {
  readonly #streams = new Map<string, StreamState>();
  /** Each held stream's bus subscription, by stream id. */
  readonly #subscriptions = new Map<string, Subscription>();
  /** Streams held for a scheduled event's warm-up, with or without viewers. */
  readonly #warm = new Set<string>();
  readonly #o: StreamRegistryOptions;
  /** When messages may have started to be lost, while the bus is down. */
  #busDownSince: number | undefined;
  /**
   * When recovery last ran (every report interval). A stall stops it, so after a stall that cost
   * the bus connection (the server cut off a client that stopped reading) this is before the
   * stall, when the loss may have begun; the disconnect is only noticed after it.
   */
  #aliveAt: number;
  readonly #stopStatus: () => void;

  constructor(options: StreamRegistryOptions) {
    this.#o = options;
    this.#aliveAt = options.now();
    // Messages published while the bus was away are lost to this gateway (NATS replays nothing;
    // a slow consumer is cut off the same way): every held stream recovers them from history.
    this.#stopStatus = options.bus.onStatus((status) => {
      if (status.type === 'disconnected') {
        this.#busDownSince ??= Math.min(options.now(), this.#aliveAt);
      } else if (status.type === 'reconnected' && this.#busDownSince !== undefined) {
        const at = options.now();
        for (const state of this.#streams.values())
          state.recovery.noteOutage(this.#busDownSince, at);
        this.#busDownSince = undefined;
      }
    });
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
    const state = this.#hold(stream);
    state.join(identityKey);
    return state;
  }

  /**
   * Holds `stream` as if a viewer had joined (subscribed; history, totals, rules and pin loaded
   * and kept current), counting no viewer: a scheduled event's warm-up. Held until `cool`.
   */
  warm(stream: string): StreamState {
    this.#warm.add(stream);
    return this.#hold(stream);
  }

  /** Ends a warm-up: the stream lingers and goes like any other once it has no viewers. */
  cool(stream: string, now: number): void {
    if (!this.#warm.delete(stream)) return;
    const state = this.#streams.get(stream);
    state?.markEmpty(now);
  }

  /** The streams held for warm-up. */
  warmed(): ReadonlySet<string> {
    return this.#warm;
  }

  #hold(stream: string): StreamState {
    let state = this.#streams.get(stream);
    if (!state) {
      state = new StreamState(
        stream,
        partitionOf(stream, this.#o.partitions),
        this.#o.historyCapacity,
        this.#o.defaults,
        this.#o.now(),
        this.#o.now,
      );
      this.#streams.set(stream, state);
      this.#open(state);
    }
    return state;
  }

  release(state: StreamState, now: number): void {
    state.leave(now);
  }

  /**
   * Forgets streams that have been empty for the linger time and whose zero count has reached the
   * aggregator, unsubscribing from the bus.
   */
  sweep(now: number): void {
    for (const state of this.#streams.values()) {
      if (state.viewers > 0 || state.emptySince === undefined || this.#warm.has(state.id)) continue;
      const reportedAt = state.counters.lastReportedAt;
      if (now - state.emptySince < this.#o.lingerMs || reportedAt <= state.emptySince) continue;
      this.#subscriptions.get(state.id)?.unsubscribe();
      this.#subscriptions.delete(state.id);
      this.#streams.delete(state.id);
      this.#o.onForget(state);
      this.#o.features().forget(state.id);
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
      state.queueViewers(event);
      this.#o.onPending(state);
    }
  }

  close(): void {
    this.#stopStatus();
    for (const subscription of this.#subscriptions.values()) subscription.unsubscribe();
    this.#subscriptions.clear();
    this.#streams.clear();
    this.#warm.clear();
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

  #fill(
    state: StreamState,
    holes: readonly Hole[],
    since: number | undefined,
    stored: readonly HistoryEntry[] | undefined,
  ): void {
    if (fillFromHistory(state, holes, since, stored, this.#o)) this.#o.onPending(state);
  }

  /**
   * Recovers what live chat missed: holes in positions once `RECOVERY_DELAY_MS` old, and every
   * stream after a bus outage. One read of stored history per such stream; the messages found go
   * out in the next batch, and what is still missing goes out as a `gap` event, so a viewer who
   * stayed connected never has a silent hole.
   */
  recover(now: number): void {
    this.#aliveAt = now;
    for (const state of this.#streams.values()) {
      const due = state.recovery.takeDue(now, RECOVERY_DELAY_MS);
      if (due === undefined) continue;
      const { holes, since } = due;
      this.#o.store.history
        .recent(state.id, this.#o.historyCapacity)
        .then(
          (entries) => this.#fill(state, holes, since, entries),
          (error: unknown) => {
            this.#o.metrics.storeReadFailures.inc();
            this.#o.log.warn('history read for recovery failed', { stream: state.id, error });
            this.#fill(state, holes, since, undefined);
          },
        )
        .finally(() => {
          state.recovery.settled();
        });
    }
  }

  #open(state: StreamState): void {
    const { bus, subjects, store, metrics, log, historyCapacity } = this.#o;
    const subscription = bus.subscribe(subjects.streamAll(state.id), (payload, subject, headers) =>
      receiveBusEvent(state, payload, subject, headers, this.#o),
    );
    this.#subscriptions.set(state.id, subscription);
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
        state.seedTotals(totals);
      },
      (error: unknown) => {
        metrics.storeReadFailures.inc();
        log.debug('totals load failed', { stream: state.id, error });
      },
    );
    const moderation = this.#loadModeration(state, undefined, true).finally(() =>
      this.provisionalCount(),
    );
    const features = this.#o.features().open(state);
    state.loading(Promise.all([history, totals, moderation, features]).then(() => undefined));
  }
}
