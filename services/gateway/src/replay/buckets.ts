import { MAX_READ, type EventLog, type LogEvent } from '@roar/log';
import type { Removals } from './removals.js';

/** Replay windows are cut into buckets of this size, aligned to the epoch. */
export const REPLAY_BUCKET_MS = 10_000;
/**
 * A bucket is final this long after it ends: late appends (the log's queue wait, clock skew
 * between hosts) have landed, so only a deletion can change it (and changes its version).
 */
export const SETTLE_MS = 5000;

/** Event types a replay carries (deletions are applied, not replayed). */
const REPLAYED = new Set<string>(['chat.published', 'reactions.burst', 'viewers.sample']);

export interface Bucket {
  from: number;
  to: number;
  /** No more appends can land in it (see `SETTLE_MS`). */
  final: boolean;
  /** Changes when a removal touches one of its messages: the `seq` of the latest such removal. */
  version: number;
  events: LogEvent[];
  /** The events as read from the log (before removals): the same array until read again. */
  raw: readonly LogEvent[];
}

interface Cached {
  events: Promise<LogEvent[]>;
  at: number;
  final: boolean;
  size: number;
}

export interface BucketCacheOptions {
  log: EventLog;
  now: () => number;
  /** A bucket that is not final yet is read again after this long. Default 1000 ms. */
  hotTtlMs?: number;
  /** A final bucket is kept this long. Default 5 min. */
  finalTtlMs?: number;
  /** Events kept in cache at most, over every bucket. Default 200,000. */
  maxEvents?: number;
  /** Log reads in flight at most; past it, requests for uncached buckets fail (503). Default 32. */
  maxReads?: number;
}

/** Too many log reads in flight: the request is refused rather than queued. */
export class ReplayBusyError extends Error {
  constructor() {
    super('too many replay reads in flight');
    this.name = 'ReplayBusyError';
  }
}

/**
 * Replay buckets read from the log once per gateway, however many viewers ask at once: a read in
 * flight is shared, a result is cached (final buckets for minutes, the live edge for a second),
 * bounded by event count. Removals are applied per request on the cached events, so a deletion
 * takes effect without reading the bucket again.
 */
export class BucketCache {
  readonly #o: Required<BucketCacheOptions>;
  /** In insertion order: the oldest entries are evicted first. */
  readonly #cache = new Map<string, Cached>();
  #events = 0;
  #inFlight = 0;
  /** Reads this cache made (one per bucket per TTL, however many asked). */
  reads = 0;

  constructor(options: BucketCacheOptions) {
    this.#o = {
      hotTtlMs: 1000,
      finalTtlMs: 300_000,
      maxEvents: 200_000,
      maxReads: 32,
      ...options,
    };
  }

  async get(stream: string, from: number, removals: Promise<Removals>): Promise<Bucket> {
    const to = from + REPLAY_BUCKET_MS;
    const final = this.#o.now() >= to + SETTLE_MS;
    const [raw, r] = await Promise.all([this.#raw(stream, from, final), removals]);
    let version = 0;
    const events: LogEvent[] = [];
    for (const e of raw) {
      if (e.type === 'chat.published') {
        const by = r.hiddenBy(e);
        if (by > 0) {
          version = Math.max(version, by);
          continue;
        }
      }
      events.push(e);
    }
    return { from, to, final, version, events, raw };
  }

  #raw(stream: string, from: number, final: boolean): Promise<LogEvent[]> {
    const key = `${stream} ${from}`;
    const now = this.#o.now();
    const hit = this.#cache.get(key);
    const ttl = hit?.final ? this.#o.finalTtlMs : this.#o.hotTtlMs;
    if (hit && now - hit.at < ttl) return hit.events;
    if (hit) this.#drop(key, hit);
    // Requests for many distinct buckets (a crawler, an attack) cost log reads: bounded.
    if (this.#inFlight >= this.#o.maxReads) return Promise.reject(new ReplayBusyError());
    this.reads++;
    this.#inFlight++;
    const entry: Cached = { events: Promise.resolve([]), at: now, final, size: 0 };
    entry.events = this.#o.log
      .read({ stream, fromTs: from, toTs: from + REPLAY_BUCKET_MS, limit: MAX_READ })
      .then((all) => {
        const events = all.filter((e) => REPLAYED.has(e.type));
        entry.size = events.length;
        this.#events += events.length;
        this.#evict();
        return events;
      });
    // A failed read is not kept: the next request tries again.
    entry.events.then(
      () => this.#inFlight--,
      () => {
        this.#inFlight--;
        if (this.#cache.get(key) === entry) this.#cache.delete(key);
      },
    );
    this.#cache.set(key, entry);
    return entry.events;
  }

  #drop(key: string, entry: Cached): void {
    this.#cache.delete(key);
    this.#events -= entry.size;
  }

  #evict(): void {
    for (const [key, entry] of this.#cache) {
      if (this.#events <= this.#o.maxEvents) break;
      this.#drop(key, entry);
    }
  }
}
