import type { ViewerCount } from '@roar/protocol';
import type { LiveStateStore } from './live-state.js';
import type { ModerationStore } from './moderation.js';
import type { ScheduleStore } from './schedule.js';
import type { QaStore } from './qa.js';
// Polls
import type { PollStore } from './polls.js';

/** One chat message as stored: its id and the msgpack bytes of its `ChatEvent`, never re-encoded. */
export interface HistoryEntry {
  id: string;
  bytes: Uint8Array;
}

/**
 * Recent chat per stream, capped at the newest `historyCapacity` entries (oldest dropped first).
 * Order is append order. Entries are returned with exactly the bytes appended.
 */
export interface ChatHistory {
  /** Appends entries in order and trims to the capacity, atomically per call. */
  append(stream: string, entries: readonly HistoryEntry[]): Promise<void>;
  /** The newest `limit` entries, oldest first; `[]` for a stream with none. */
  recent(stream: string, limit: number): Promise<HistoryEntry[]>;
  /** Removes one message; resolves true when it was there. */
  remove(stream: string, id: string): Promise<boolean>;
  /** Removes every message of the stream. */
  clear(stream: string): Promise<void>;
}

/** Distinct viewers per stream, estimated (HyperLogLog in Redis; exact in memory). */
export interface UniqueCounter {
  /** Adds viewer identities; adding one twice counts it once. */
  add(stream: string, ids: readonly string[]): Promise<void>;
  /** The estimated number of distinct identities added (Redis: 0.29% standard error, see RedisUniques). */
  count(stream: string): Promise<number>;
}

/** A stream's activity, cluster-wide, as the aggregator last measured it (smoothed). */
export interface StreamRates {
  /** Chat messages accepted per second, over every gateway. */
  chatPerS: number;
  /** Reactions per second, every emoji together. */
  reactionsPerS: number;
  /**
   * When the rates were measured (ms since the epoch, the aggregator's clock). The aggregator
   * saves them again every few seconds while either is non-zero, so an old `at` means nobody is
   * measuring the stream any more and the figures are stale.
   */
  at: number;
}

/**
 * Per-stream figures that outlive an aggregator: the peak, the latest published totals and the
 * latest chat and reaction rates. They expire together (Redis: `totalsTtlSeconds` after the last
 * save of any of them).
 */
export interface StreamStats {
  /**
   * Raises the stored peak to `value` when higher; resolves with the stored peak afterwards.
   * `epoch` fences it as `saveTotals` does; a refused raise changes nothing.
   */
  raisePeak(stream: string, value: number, epoch?: number): Promise<number>;
  peak(stream: string): Promise<number>;
  /**
   * Saves the latest totals so any gateway can answer for a stream it does not hold. With an
   * `epoch` (the writer's lease epoch, see `Leases`), the write is refused, atomically, when a
   * write of a higher epoch has reached this stream's figures: a deposed owner's late writes
   * change nothing. Resolves true when written. Without one (0 or undefined) it is not fenced.
   */
  saveTotals(stream: string, totals: ViewerCount, epoch?: number): Promise<boolean>;
  totals(stream: string): Promise<ViewerCount | undefined>;
  /**
   * Replaces the stream's rates, fenced by `epoch` as `saveTotals` is; resolves true when written.
   * Rejects with a `RangeError`, storing nothing, unless every field is a finite number and both
   * rates are non-negative.
   */
  saveRates(stream: string, rates: StreamRates, epoch?: number): Promise<boolean>;
  /** The rates last saved, or undefined when none are (or they expired). */
  rates(stream: string): Promise<StreamRates | undefined>;
}

/**
 * Named, expiring ownership, for aggregator partitions: only the holder of a partition's lease
 * publishes its totals, so two aggregators never double count. A lease runs out `ttlMs` after
 * its last acquire by the store's clock: Redis's own (PX), so holders' clocks need not agree; the
 * memory store's `now` option, so tests move time instead of sleeping.
 */
export interface Leases {
  /**
   * Takes `name` for `owner`, or renews it when `owner` holds it. Resolves with the lease's epoch
   * when `owner` holds it now, 0 when another owner does. The epoch is a fencing token: it is the
   * same on every renewal and higher after any change of holder (including the same owner taking
   * it back after it ran out), so writes tagged with it can refuse a deposed owner's.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<number>;
  /** Gives `name` up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder, or undefined. */
  holder(name: string): Promise<string | undefined>;
}

/** Everything Roar keeps outside a process, behind one object per backend. */
export interface Store {
  readonly history: ChatHistory;
  readonly uniques: UniqueCounter;
  readonly stats: StreamStats;
  readonly leases: Leases;
  readonly moderation: ModerationStore;
  /** Scheduled events (matches): warm-up, the scale signal, the planned chat policy. */
  readonly schedules: ScheduleStore;
  /** Live widgets: each stream's keyed live state (see live-state.ts). */
  readonly liveState: LiveStateStore;
  /** Q&A sessions (issue 14). */
  readonly qa: QaStore;
  // Polls
  readonly polls: PollStore;
  close(): Promise<void>;
}

/**
 * An optional ability of a store that talks to a server (Redis): hearing that the connection is
 * (back) up, so state loaded while it was down can be reloaded at once rather than on a timer.
 */
export interface StoreConnection {
  /**
   * Calls `listener` every time the connection becomes ready: the first connect and each
   * reconnect. Returns a function that stops the calls.
   */
  onReady(listener: () => void): () => void;
}

/** The store's `StoreConnection`, when it has one (Redis does; memory never disconnects). */
export function storeConnection(store: Store): StoreConnection | undefined {
  const candidate = store as Store & Partial<StoreConnection>;
  return typeof candidate.onReady === 'function' ? (candidate as StoreConnection) : undefined;
}

export interface StoreOptions {
  /** Most chat messages kept per stream (the resume window). */
  historyCapacity: number;
  /** Most audit entries kept per scope (oldest dropped first); default 10,000. */
  auditCapacity?: number;
  /** Most messages held per stream for moderators (oldest dropped first); default 1,000. */
  heldCapacity?: number;
}

/** The `RangeError` that `saveRates` rejects with, or undefined for good rates. */
export function badRates({ chatPerS, reactionsPerS, at }: StreamRates): RangeError | undefined {
  const rate = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (rate(chatPerS) && rate(reactionsPerS) && typeof at === 'number' && Number.isFinite(at)) {
    return undefined;
  }
  return new RangeError(
    `rates must be finite and non-negative, got chatPerS ${chatPerS}, reactionsPerS ${reactionsPerS}, at ${at}`,
  );
}

/** Defaults of the optional `StoreOptions`, the same for every implementation. */
export const storeDefaults = { auditCapacity: 10_000, heldCapacity: 1_000 } as const;
