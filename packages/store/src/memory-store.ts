import { MemoryQa } from './memory-qa.js';
import type { ViewerCount } from '@roar/protocol';
import { MemoryLiveState } from './memory-live-state.js';
import { createMemoryModeration } from './memory-moderation.js';
import { MemorySchedules } from './schedule.js';
// Polls
import { MemoryPolls } from './memory-polls.js';
import {
  badRates,
  storeDefaults,
  type ChatHistory,
  type HistoryEntry,
  type Leases,
  type Store,
  type StoreOptions,
  type StreamRates,
  type StreamStats,
  type UniqueCounter,
} from './store.js';

class MemoryHistory implements ChatHistory {
  readonly #streams = new Map<string, HistoryEntry[]>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async append(stream: string, entries: readonly HistoryEntry[]): Promise<void> {
    let list = this.#streams.get(stream);
    if (!list) this.#streams.set(stream, (list = []));
    list.push(...entries);
    if (list.length > this.#capacity) list.splice(0, list.length - this.#capacity);
  }

  async recent(stream: string, limit: number): Promise<HistoryEntry[]> {
    const list = this.#streams.get(stream) ?? [];
    return limit <= 0 ? [] : list.slice(-limit);
  }

  async remove(stream: string, id: string): Promise<boolean> {
    const list = this.#streams.get(stream);
    const i = list?.findIndex((e) => e.id === id) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  async clear(stream: string): Promise<void> {
    this.#streams.delete(stream);
  }
}

/** Exact sets: the embedded mode holds one process's viewers, where exactness costs little. */
class MemoryUniques implements UniqueCounter {
  readonly #sets = new Map<string, Set<string>>();

  async add(stream: string, ids: readonly string[]): Promise<void> {
    let set = this.#sets.get(stream);
    if (!set) this.#sets.set(stream, (set = new Set()));
    for (const id of ids) set.add(id);
  }

  async count(stream: string): Promise<number> {
    return this.#sets.get(stream)?.size ?? 0;
  }
}

class MemoryStats implements StreamStats {
  readonly #peaks = new Map<string, number>();
  /** Highest write epoch seen per stream (the fence of `saveTotals`). */
  readonly #epochs = new Map<string, number>();
  readonly #totals = new Map<string, ViewerCount>();
  readonly #rates = new Map<string, StreamRates>();

  /** False when a write of a higher epoch came first; otherwise records `epoch`. */
  #fence(stream: string, epoch = 0): boolean {
    if (!(epoch > 0)) return true;
    const seen = this.#epochs.get(stream) ?? 0;
    if (epoch < seen) return false;
    this.#epochs.set(stream, epoch);
    return true;
  }

  async raisePeak(stream: string, value: number, epoch?: number): Promise<number> {
    if (!this.#fence(stream, epoch)) return this.#peaks.get(stream) ?? 0;
    const peak = Math.max(this.#peaks.get(stream) ?? 0, value);
    this.#peaks.set(stream, peak);
    return peak;
  }

  async peak(stream: string): Promise<number> {
    return this.#peaks.get(stream) ?? 0;
  }

  async saveTotals(stream: string, totals: ViewerCount, epoch?: number): Promise<boolean> {
    if (!this.#fence(stream, epoch)) return false;
    this.#totals.set(stream, { ...totals });
    return true;
  }

  async totals(stream: string): Promise<ViewerCount | undefined> {
    const t = this.#totals.get(stream);
    return t && { ...t };
  }

  async saveRates(stream: string, rates: StreamRates, epoch?: number): Promise<boolean> {
    const error = badRates(rates);
    if (error) throw error;
    if (!this.#fence(stream, epoch)) return false;
    const { chatPerS, reactionsPerS, at } = rates;
    this.#rates.set(stream, { chatPerS, reactionsPerS, at });
    return true;
  }

  async rates(stream: string): Promise<StreamRates | undefined> {
    const r = this.#rates.get(stream);
    return r && { ...r };
  }
}

/** Leases that run out by the store's clock (`MemoryStoreOptions.now`). */
class MemoryLeases implements Leases {
  readonly #leases = new Map<string, { owner: string; until: number; epoch: number }>();
  readonly #now: () => number;
  #lastEpoch = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<number> {
    const now = this.#now();
    const lease = this.#leases.get(name);
    const held = lease !== undefined && lease.until > now;
    if (held && lease.owner !== owner) return 0;
    // The same rule as Redis's: a new holding opens a new, higher epoch.
    const epoch = held ? lease.epoch : (this.#lastEpoch = Math.max(this.#lastEpoch + 1, now));
    this.#leases.set(name, { owner, until: now + ttlMs, epoch });
    return epoch;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    const lease = this.#leases.get(name);
    return lease && lease.until > this.#now() ? lease.owner : undefined;
  }
}

export interface MemoryStoreOptions extends StoreOptions {
  /**
   * The clock (ms since the epoch) that leases and request claims run out by and that ended bans
   * are forgotten by; default `Date.now`. Tests move their own instead of sleeping. (The Redis
   * store's expiries run on Redis's clock, which no option moves.)
   */
  now?: () => number;
}

/** The in-process store of the embedded mode and of unit tests. */
export function createMemoryStore(options: MemoryStoreOptions): Store {
  const now = options.now ?? (() => Date.now());
  return {
    history: new MemoryHistory(options.historyCapacity),
    uniques: new MemoryUniques(),
    stats: new MemoryStats(),
    leases: new MemoryLeases(now),
    moderation: createMemoryModeration({
      auditCapacity: options.auditCapacity ?? storeDefaults.auditCapacity,
      heldCapacity: options.heldCapacity ?? storeDefaults.heldCapacity,
      now,
    }),
    schedules: new MemorySchedules(),
    liveState: new MemoryLiveState(),
    qa: new MemoryQa(),
    // Polls
    polls: new MemoryPolls(),
    async close() {},
  };
}
