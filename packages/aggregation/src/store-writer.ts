import type { ViewerCount } from '@roar/protocol';
import type { Store, StreamRates } from '@roar/store';
import type { AggregatorStats } from './stats.js';
import type { StreamRecord, StreamTable } from './stream-table.js';

/** Identities held per stream while the store lags; past this they are dropped and counted. */
const MAX_PENDING_IDS = 10_000;

type BatchKind =
  'uniques.add' | 'uniques.count' | 'stats.saveTotals' | 'stats.raisePeak' | 'stats.saveRates';

function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Everything the aggregator writes to or reads from the store, batched per tick. Counting and
 * publishing never wait on it: a failed call is counted in `storeErrors` and its work is dropped
 * (or, for peaks and counts, retried by the next change). At most one batch of each kind is in
 * flight, and queued work is merged per stream, so a slow or dead store costs bounded memory.
 * Relies on the store's calls settling (Redis clients time out or reject when disconnected).
 */
export class StoreWriter {
  readonly #store: Store;
  readonly #stats: AggregatorStats;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown, where: string) => void;
  readonly #adds = new Map<StreamRecord, StreamTable>();
  readonly #counts = new Map<StreamRecord, StreamTable>();
  readonly #saves = new Map<StreamRecord, [ViewerCount, number]>();
  readonly #raises = new Map<StreamRecord, number>();
  readonly #rates = new Map<StreamRecord, [StreamRates, number]>();
  readonly #busy = new Set<BatchKind>();
  readonly #loads = new Map<
    string,
    Promise<[PromiseSettledResult<number>, PromiseSettledResult<number>]>
  >();

  constructor(
    store: Store,
    stats: AggregatorStats,
    intervalMs: number,
    onError: (error: unknown, where: string) => void,
  ) {
    this.#store = store;
    this.#stats = stats;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  /**
   * Loads the stored peak and unique count of a stream seen for the first time, so a restarted
   * aggregator (or a stream forgotten and back) continues from them. Loads of one stream in
   * flight share one pair of calls.
   */
  loadStored(record: StreamRecord, table: StreamTable): void {
    const name = record.name;
    let load = this.#loads.get(name);
    if (!load) {
      load = Promise.allSettled([
        attempt(() => this.#store.stats.peak(name)),
        attempt(() => this.#store.uniques.count(name)),
      ]);
      this.#loads.set(name, load);
      void load.then(() => this.#loads.delete(name));
    }
    record.storeRefs++;
    void load.then(([peak, uniques]) => {
      const errors: unknown[] = [];
      if (peak.status === 'fulfilled') {
        record.peak = Math.max(record.peak, peak.value);
        record.persistedPeak = Math.max(record.persistedPeak, peak.value);
      } else errors.push(peak.reason);
      if (uniques.status !== 'fulfilled') errors.push(uniques.reason);
      else if (uniques.value > record.uniques) {
        record.uniques = uniques.value;
        // Published already (the load was slow): the stored count is news for viewers.
        if (record.alive && record.publishedUniques >= 0) table.markDirty(record.slot);
      }
      if (errors.length > 0) this.#failed('load', errors);
      // Either way the stream may publish now; a failed peak load is repaired by raisePeak.
      record.loaded = true;
      record.storeRefs--;
    });
  }

  addIds(record: StreamRecord, table: StreamTable, ids: readonly string[]): void {
    const room = MAX_PENDING_IDS - record.ids.length;
    if (ids.length > room) this.#stats.uniqueIdsDropped += ids.length - Math.max(0, room);
    for (let i = 0; i < ids.length && i < room; i++) record.ids.push(ids[i]!);
    if (record.ids.length > 0 && !this.#adds.has(record)) {
      record.storeRefs++;
      this.#adds.set(record, table);
    }
  }

  /**
   * A gateway added identities to the stream's counter in the store itself: the count is read
   * again (at most once per interval).
   */
  wantCount(record: StreamRecord, table: StreamTable): void {
    if (this.#counts.has(record)) return;
    record.storeRefs++;
    this.#counts.set(record, table);
  }

  /**
   * Queues the latest published totals of a stream, fenced by the partition's lease `epoch`
   * (see `StreamStats.saveTotals`); a newer call replaces a queued one.
   */
  saveTotals(record: StreamRecord, totals: ViewerCount, epoch: number): void {
    if (!this.#saves.has(record)) record.storeRefs++;
    this.#saves.set(record, [totals, epoch]);
  }

  /** Queues a stream's latest rates, fenced likewise; a newer call replaces a queued one. */
  saveRates(record: StreamRecord, rates: StreamRates, epoch: number): void {
    if (!this.#rates.has(record)) record.storeRefs++;
    this.#rates.set(record, [rates, epoch]);
  }

  /** Queues raising the stored peak to the record's peak, fenced likewise. */
  raisePeak(record: StreamRecord, epoch: number): void {
    if (!this.#raises.has(record)) record.storeRefs++;
    this.#raises.set(record, epoch);
  }

  /** Starts one batch of each kind that has work and none in flight. */
  flush(now: number): void {
    this.#flushAdds();
    this.#flushCounts(now);
    this.#flushSaves();
    this.#flushRaises(now);
    this.#flushRates();
  }

  #flushAdds(): void {
    if (this.#busy.has('uniques.add') || this.#adds.size === 0) return;
    const batch = [...this.#adds];
    this.#adds.clear();
    // Identities are facts about viewers, so they are added even for a stream no longer owned.
    this.#run(
      'uniques.add',
      batch.map(([record, table]) => {
        const ids = record.ids;
        record.ids = [];
        return {
          record,
          call: () => this.#store.uniques.add(record.name, ids),
          ok: () => {
            if (record.alive && !this.#counts.has(record)) {
              record.storeRefs++;
              this.#counts.set(record, table);
            }
          },
        };
      }),
    );
  }

  #flushCounts(now: number): void {
    if (this.#busy.has('uniques.count') || this.#counts.size === 0) return;
    const due: { record: StreamRecord; call: () => Promise<unknown>; ok: (n: unknown) => void }[] =
      [];
    for (const [record, table] of this.#counts) {
      if (record.alive && now - record.lastCountAt < this.#intervalMs) continue;
      this.#counts.delete(record);
      if (!record.alive) {
        record.storeRefs--;
        continue;
      }
      record.lastCountAt = now;
      due.push({
        record,
        call: () => this.#store.uniques.count(record.name),
        ok: (n) => {
          // Never lowered: an estimate that dips would look like viewers being un-counted.
          if (typeof n === 'number' && n > record.uniques && record.alive) {
            record.uniques = n;
            table.markDirty(record.slot);
          }
        },
      });
    }
    this.#run('uniques.count', due);
  }

  #flushSaves(): void {
    if (this.#busy.has('stats.saveTotals') || this.#saves.size === 0) return;
    const batch = [...this.#saves];
    this.#saves.clear();
    this.#run(
      'stats.saveTotals',
      this.#live(
        batch.map(([record, [totals, epoch]]) => ({
          record,
          call: () => this.#store.stats.saveTotals(record.name, totals, epoch),
          ok: (written: unknown) => {
            if (written === false) this.#stats.fencedWrites++;
          },
        })),
      ),
    );
  }

  #flushRates(): void {
    if (this.#busy.has('stats.saveRates') || this.#rates.size === 0) return;
    const batch = [...this.#rates];
    this.#rates.clear();
    this.#run(
      'stats.saveRates',
      this.#live(
        batch.map(([record, [rates, epoch]]) => ({
          record,
          call: () => this.#store.stats.saveRates(record.name, rates, epoch),
          ok: (written: unknown) => {
            if (written === false) this.#stats.fencedWrites++;
          },
        })),
      ),
    );
  }

  #flushRaises(now: number): void {
    if (this.#busy.has('stats.raisePeak') || this.#raises.size === 0) return;
    const batch = [...this.#raises];
    this.#raises.clear();
    this.#run(
      'stats.raisePeak',
      this.#live(
        batch.map(([record, epoch]) => {
          const value = record.peak;
          record.lastPeakSaveAt = now;
          return {
            record,
            call: () => this.#store.stats.raisePeak(record.name, value, epoch),
            ok: (stored: unknown) => {
              record.persistedPeak = Math.max(record.persistedPeak, value);
              if (typeof stored === 'number') record.peak = Math.max(record.peak, stored);
            },
          };
        }),
      ),
    );
  }

  /** Drops work for streams that were forgotten or disowned since it was queued. */
  #live<T extends { record: StreamRecord }>(items: T[]): T[] {
    return items.filter((item) => {
      if (!item.record.alive) item.record.storeRefs--;
      return item.record.alive;
    });
  }

  #run(
    kind: BatchKind,
    items: { record: StreamRecord; call: () => Promise<unknown>; ok?: (value: unknown) => void }[],
  ): void {
    if (items.length === 0) return;
    this.#busy.add(kind);
    const errors: unknown[] = [];
    const calls = items.map(({ record, call, ok }) =>
      attempt(call).then(
        (value) => {
          try {
            ok?.(value);
          } finally {
            record.storeRefs--;
          }
        },
        (error: unknown) => {
          errors.push(error);
          record.storeRefs--;
        },
      ),
    );
    void Promise.all(calls).then(() => {
      this.#busy.delete(kind);
      if (errors.length > 0) this.#failed(kind, errors);
    });
  }

  #failed(where: string, errors: unknown[]): void {
    this.#stats.storeErrors += errors.length;
    this.#onError(errors[0], where);
  }
}
