import type { ViewerCount } from '@roar/protocol';
import type { ModerationStore } from './moderation.js';

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

/** Per-stream figures that outlive an aggregator: the peak and the latest published totals. */
export interface StreamStats {
  /** Raises the stored peak to `value` when higher; resolves with the stored peak afterwards. */
  raisePeak(stream: string, value: number): Promise<number>;
  peak(stream: string): Promise<number>;
  /** Saves the latest totals so any gateway can answer for a stream it does not hold. */
  saveTotals(stream: string, totals: ViewerCount): Promise<void>;
  totals(stream: string): Promise<ViewerCount | undefined>;
}

/**
 * Named, expiring ownership, for aggregator partitions: only the holder of a partition's lease
 * publishes its totals, so two aggregators never double count.
 */
export interface Leases {
  /** Takes `name` for `owner`, or renews it when `owner` holds it; true when `owner` holds it now. */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
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
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Most chat messages kept per stream (the resume window). */
  historyCapacity: number;
  /** Most audit entries kept per scope (oldest dropped first); default 10,000. */
  auditCapacity?: number;
  /** Most messages held per stream for moderators (oldest dropped first); default 1,000. */
  heldCapacity?: number;
}

/** Defaults of the optional `StoreOptions`, the same for every implementation. */
export const storeDefaults = { auditCapacity: 10_000, heldCapacity: 1_000 } as const;
