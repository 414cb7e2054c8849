import { partitionOf, type Bus, type BusHeaders, type Subjects } from '@roar/bus';
import {
  EncodedEvent,
  type ChatEvent,
  type GapEvent,
  type StreamEvent,
  type ViewersEvent,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { HistoryEntry, Store, StreamSettings } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import { publicSettings } from '../moderation/rules/settings.js';
import { applyModEvent, loadStreamModeration } from './moderation-sync.js';
import { StreamState, type Hole } from './stream-state.js';
import type { Tracing } from '../base/tracing.js';

/**
 * How old a hole must be before history is read to fill it: the accepting gateway writes its
 * messages at its next tick, so by then they are stored if they will be.
 */
export const RECOVERY_DELAY_MS = 500;
/** After a bus outage, stored messages this much older than its start are also checked. */
const OUTAGE_MARGIN_MS = 1000;

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
  /** Opens chat delivery spans from the bus headers; undefined when tracing is off. */
  tracing?: Tracing | undefined;
}

/**
 * The streams this gateway holds. A stream's bus subscription exists from its first local viewer
 * until `lingerMs` after its last one left (so a viewer who reconnects at once costs nothing), and
 * its history is read from the store once, however many viewers join at the same moment.
 */
export class StreamRegistry {
  readonly #streams = new Map<string, StreamState>();
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
        for (const state of this.#streams.values()) {
          const since = Math.min(state.missed?.since ?? Infinity, this.#busDownSince);
          state.missed = { since, at };
        }
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
    this.#stopStatus();
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

  /**
   * Recovers what live chat missed: holes in positions once `RECOVERY_DELAY_MS` old, and every
   * stream after a bus outage. One read of stored history per such stream; the messages found go
   * out in the next batch, and what is still missing goes out as a `gap` event, so a viewer who
   * stayed connected never has a silent hole.
   */
  recover(now: number): void {
    this.#aliveAt = now;
    for (const state of this.#streams.values()) {
      if (state.recovering) continue;
      const due = state.holes.filter((h) => now - h.at >= RECOVERY_DELAY_MS);
      const since =
        state.missed !== undefined && now - state.missed.at >= RECOVERY_DELAY_MS
          ? state.missed.since
          : undefined;
      if (due.length === 0 && since === undefined) continue;
      if (due.length > 0) state.holes = state.holes.filter((h) => !due.includes(h));
      if (since !== undefined) state.missed = undefined;
      state.recovering = true;
      this.#o.store.history
        .recent(state.id, this.#o.historyCapacity)
        .then(
          (entries) => this.#fill(state, due, since, entries),
          (error: unknown) => {
            this.#o.metrics.storeReadFailures.inc();
            this.#o.log.warn('history read for recovery failed', { stream: state.id, error });
            this.#fill(state, due, since, undefined);
          },
        )
        .finally(() => {
          state.recovering = false;
        });
    }
  }

  #fill(
    state: StreamState,
    holes: readonly Hole[],
    since: number | undefined,
    stored: readonly HistoryEntry[] | undefined,
  ): void {
    const found: EncodedEvent[] = [];
    const filled = holes.map(() => 0);
    for (const entry of stored ?? []) {
      const encoded = EncodedEvent.fromMsgpack<ChatEvent>(entry.bytes);
      let event: ChatEvent;
      try {
        event = encoded.event;
      } catch (error) {
        this.#o.log.warn('undecodable stored message', { stream: state.id, error });
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
    this.#o.metrics.chatRecovered.inc(found.length);
    // An outage whose history could not be read may have lost any number of messages (0: unknown).
    if (missing > 0 || (since !== undefined && stored === undefined)) {
      const gap: GapEvent = { type: 'gap', missed: missing };
      state.enqueue(EncodedEvent.of(gap));
      this.#o.metrics.chatGaps.inc({ reason: missing > 0 ? 'hole' : 'outage' });
      this.#o.log.warn('chat gap', { stream: state.id, missing, outage: since !== undefined });
    }
    if (found.length > 0 || missing > 0 || since !== undefined) this.#o.onPending(state);
  }

  #open(state: StreamState): void {
    const { bus, subjects, store, metrics, log, historyCapacity } = this.#o;
    state.subscription = bus.subscribe(subjects.streamAll(state.id), (payload, subject, headers) =>
      this.#onBusMessage(state, payload, subject, headers),
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

  #onBusMessage(
    state: StreamState,
    payload: Uint8Array,
    subject: string,
    headers: BusHeaders | undefined,
  ): void {
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
      // Only traced messages carry headers: untraced chat does not reach the tracer.
      if (headers !== undefined && event.type === 'chat')
        this.#o.tracing?.chatReceived(encoded, state.id, headers);
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
