/** A decision and how long it may be reused. */
export interface Timed<V> {
  value: V;
  /** Milliseconds it may be served from the cache; 0 or less: not cached. */
  ttlMs: number;
}

/** Where a decision came from, for the metrics. */
export type Source = 'cache' | 'coalesced' | 'backend';

/**
 * Decisions by key, each kept for the TTL its backend gave, with concurrent identical requests
 * coalesced: while a key is being loaded every other asker waits for that one load. A hit is
 * answered synchronously (no promise, no tick), so a cached join costs a map lookup. At most
 * `maxEntries` are kept; past that the oldest entry is evicted first (Map insertion order).
 * A failed load is not cached: each asker gets its rejection, and the next ask loads again.
 */
export class DecisionCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<V>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value of `key` if still fresh. */
  peek(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /**
   * The value of `key`: from the cache, from a load already under way, or from `load` (called
   * once for all concurrent askers). `onSource` learns which, for the metrics.
   */
  get(
    key: string,
    load: () => Promise<Timed<V>>,
    onSource?: (source: Source) => void,
  ): V | Promise<V> {
    const hit = this.peek(key);
    if (hit !== undefined) {
      onSource?.('cache');
      return hit;
    }
    const pending = this.#loading.get(key);
    if (pending !== undefined) {
      onSource?.('coalesced');
      return pending;
    }
    onSource?.('backend');
    const loaded = load().then(
      ({ value, ttlMs }) => {
        this.#loading.delete(key);
        if (ttlMs > 0) this.#set(key, value, ttlMs);
        return value;
      },
      (error: unknown) => {
        this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, loaded);
    return loaded;
  }

  #set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
  }
}
