import type { ViewerCount } from '@roar/protocol';
import { Redis } from 'ioredis';
import { Keys } from './keys.js';
import type { ModerationStore } from './moderation.js';
import {
  moderationScripts,
  RedisModeration,
  type ModerationScriptCommands,
} from './redis-moderation.js';
import { attempt, decodeEntry, encodeEntry, exec, StoreUnavailableError } from './redis-shared.js';
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

export { StoreUnavailableError };

export interface RedisStoreOptions extends StoreOptions {
  /** Where Redis is, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** Namespaces every key (see `Keys`); default `roar`. */
  prefix?: string;
  /** A command with no reply after this long rejects; default 1000. */
  commandTimeoutMs?: number;
  /** How long a stream's stats (peak, totals, rates) outlive their last update; default 3600. */
  totalsTtlSeconds?: number;
  /**
   * How long a stream's chat history, unique-viewer sketches and held messages outlive their
   * last write, so the keys of ended streams do not pile up; default 604,800 (7 days).
   * Moderation decisions (bans, settings, pin) and the audit log do not expire this way.
   */
  streamStateTtlSeconds?: number;
  /**
   * Hears the first connection error of each outage (ioredis repeats it on every reconnect
   * attempt). The default warns on the console.
   */
  onConnectionError?: (error: Error) => void;
}

const defaults = {
  prefix: 'roar',
  commandTimeoutMs: 1000,
  totalsTtlSeconds: 3600,
  streamStateTtlSeconds: 7 * 86_400,
} as const;

/** Ids per PFADD: large enough to amortise round trips, small enough not to stall Redis. */
const PFADD_CHUNK = 10_000;

// ioredis runs these with EVALSHA and falls back to EVAL when a restarted Redis has lost its
// script cache, so they survive an outage without being reloaded by hand.
const scripts = {
  roarHistoryRemove: {
    numberOfKeys: 1,
    // Matching `id NUL` as a whole keeps "a" from removing "ab".
    lua: `
      local wanted = ARGV[1] .. string.char(0)
      for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
        if string.sub(item, 1, #wanted) == wanted then
          redis.call('LREM', KEYS[1], 1, item)
          return 1
        end
      end
      return 0`,
  },
  roarRaisePeak: {
    numberOfKeys: 1,
    // Returns the stored text rather than a Lua number, which Redis would truncate to an integer.
    lua: `
      local stored = redis.call('HGET', KEYS[1], 'peak')
      if not stored or tonumber(ARGV[1]) > tonumber(stored) then
        stored = ARGV[1]
        redis.call('HSET', KEYS[1], 'peak', stored)
      end
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return stored`,
  },
  roarLeaseAcquire: {
    numberOfKeys: 1,
    lua: `
      local holder = redis.call('GET', KEYS[1])
      if holder and holder ~= ARGV[1] then return 0 end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return 1`,
  },
  roarLeaseRelease: {
    numberOfKeys: 1,
    lua: `
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
      return redis.call('DEL', KEYS[1])`,
  },
};

/** The commands that `scripts` adds to the client, which ioredis cannot type by itself. */
interface ScriptCommands {
  roarHistoryRemove(key: string, id: string): Promise<number>;
  roarRaisePeak(key: string, value: string, ttlSeconds: number): Promise<string>;
  roarLeaseAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  roarLeaseRelease(key: string, owner: string): Promise<number>;
}

interface Backend {
  redis: Redis & ScriptCommands;
  keys: Keys;
  historyCapacity: number;
  totalsTtlSeconds: number;
  streamStateTtlSeconds: number;
}

function decodeTotals(json: string): ViewerCount {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) {
    throw new Error('stored totals are not an object');
  }
  const { total, text, uniques, peak } = value as Record<string, unknown>;
  if (typeof total !== 'number' || typeof text !== 'string') {
    throw new Error('stored totals are malformed');
  }
  const totals: ViewerCount = { total, text };
  if (typeof uniques === 'number') totals.uniques = uniques;
  if (typeof peak === 'number') totals.peak = peak;
  return totals;
}

function decodeRates(json: string): StreamRates {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null)
    throw new Error('stored rates are not an object');
  const { chatPerS, reactionsPerS, at } = value as Record<string, unknown>;
  if (typeof chatPerS !== 'number' || typeof reactionsPerS !== 'number' || typeof at !== 'number') {
    throw new Error('stored rates are malformed');
  }
  return { chatPerS, reactionsPerS, at };
}

class RedisHistory implements ChatHistory {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  async append(stream: string, entries: readonly HistoryEntry[]): Promise<void> {
    const key = this.#b.keys.history(stream);
    if (entries.length === 0) return;
    const elements = entries.map(encodeEntry);
    const capacity = this.#b.historyCapacity;
    await attempt('history.append', () =>
      exec(
        this.#b.redis
          .multi()
          .rpush(key, ...elements)
          .ltrim(key, -capacity, -1)
          .expire(key, this.#b.streamStateTtlSeconds),
      ),
    );
  }

  async recent(stream: string, limit: number): Promise<HistoryEntry[]> {
    const key = this.#b.keys.history(stream);
    // The list never holds more than the capacity, which also turns Infinity into a real index.
    const count = Math.min(Math.floor(limit), this.#b.historyCapacity);
    if (!(count > 0)) return [];
    const elements = await attempt('history.recent', () =>
      this.#b.redis.lrangeBuffer(key, -count, -1),
    );
    return elements.map(decodeEntry);
  }

  async remove(stream: string, id: string): Promise<boolean> {
    const key = this.#b.keys.history(stream);
    return (await attempt('history.remove', () => this.#b.redis.roarHistoryRemove(key, id))) === 1;
  }

  async clear(stream: string): Promise<void> {
    const key = this.#b.keys.history(stream);
    await attempt('history.clear', () => this.#b.redis.del(key));
  }
}

/**
 * Redis's own HyperLogLog (64-bit MurmurHash, 16384 registers, 0.81% standard error, mergeable
 * with PFMERGE, kept by Redis so a restarted aggregator carries on counting), split into
 * `UNIQUE_SHARDS` sketches per stream by a second hash of the id. The shards hold disjoint sets,
 * so their counts add up, and the relative error of the sum shrinks with the square root of the
 * shard count: 0.81% / √8 ≈ 0.29%, which keeps 10^6 viewers within 1.5% with room to spare,
 * where one sketch lands outside it about one time in sixteen.
 */
class RedisUniques implements UniqueCounter {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  async add(stream: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const shards: string[][] = Array.from({ length: UNIQUE_SHARDS }, () => []);
    for (const id of ids) shards[uniqueShard(id)]?.push(id);
    // Not atomic across chunks, and need not be: PFADD is idempotent, so a failed call can be
    // repeated whole.
    await attempt('uniques.add', () => {
      const pipeline = this.#b.redis.pipeline();
      shards.forEach((shardIds, shard) => {
        const key = this.#b.keys.uniques(stream, shard);
        for (let i = 0; i < shardIds.length; i += PFADD_CHUNK) {
          pipeline.pfadd(key, ...shardIds.slice(i, i + PFADD_CHUNK));
        }
        if (shardIds.length > 0) pipeline.expire(key, this.#b.streamStateTtlSeconds);
      });
      return exec(pipeline);
    });
  }

  async count(stream: string): Promise<number> {
    return attempt('uniques.count', async () => {
      const pipeline = this.#b.redis.pipeline();
      for (let shard = 0; shard < UNIQUE_SHARDS; shard++)
        pipeline.pfcount(this.#b.keys.uniques(stream, shard));
      const counts = await exec(pipeline);
      return counts.reduce<number>((sum, n) => sum + Number(n), 0);
    });
  }
}

/** Sketches per stream; changing it re-buckets every id, so it is fixed. */
export const UNIQUE_SHARDS = 8;

/** FNV-1a, independent of Redis's MurmurHash, so a shard's ids spread over all its registers. */
function uniqueShard(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % UNIQUE_SHARDS;
}

/** Peak, totals and rates share one hash, so one TTL retires an ended stream's figures together. */
class RedisStats implements StreamStats {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  async raisePeak(stream: string, value: number): Promise<number> {
    const key = this.#b.keys.stats(stream);
    if (!Number.isFinite(value)) throw new RangeError(`peak must be a finite number, got ${value}`);
    const ttl = this.#b.totalsTtlSeconds;
    const stored = await attempt('stats.raisePeak', () =>
      this.#b.redis.roarRaisePeak(key, String(value), ttl),
    );
    return Number(stored);
  }

  async peak(stream: string): Promise<number> {
    const key = this.#b.keys.stats(stream);
    const stored = await attempt('stats.peak', () => this.#b.redis.hget(key, 'peak'));
    return stored === null ? 0 : Number(stored);
  }

  async saveTotals(stream: string, totals: ViewerCount): Promise<void> {
    const key = this.#b.keys.stats(stream);
    const { total, text, uniques, peak } = totals;
    const json = JSON.stringify({ total, text, uniques, peak });
    const ttl = this.#b.totalsTtlSeconds;
    await attempt('stats.saveTotals', () =>
      exec(this.#b.redis.multi().hset(key, 'totals', json).expire(key, ttl)),
    );
  }

  async totals(stream: string): Promise<ViewerCount | undefined> {
    const key = this.#b.keys.stats(stream);
    const json = await attempt('stats.totals', () => this.#b.redis.hget(key, 'totals'));
    return json === null ? undefined : decodeTotals(json);
  }

  async saveRates(stream: string, rates: StreamRates): Promise<void> {
    const key = this.#b.keys.stats(stream);
    const error = badRates(rates);
    if (error) throw error;
    const { chatPerS, reactionsPerS, at } = rates;
    const json = JSON.stringify({ chatPerS, reactionsPerS, at });
    const ttl = this.#b.totalsTtlSeconds;
    await attempt('stats.saveRates', () =>
      exec(this.#b.redis.multi().hset(key, 'rates', json).expire(key, ttl)),
    );
  }

  async rates(stream: string): Promise<StreamRates | undefined> {
    const key = this.#b.keys.stats(stream);
    const json = await attempt('stats.rates', () => this.#b.redis.hget(key, 'rates'));
    return json === null ? undefined : decodeRates(json);
  }
}

/** Expiry is Redis's clock (PX), so aggregators' clocks need not agree. */
class RedisLeases implements Leases {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = this.#b.keys.lease(name);
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`lease ttlMs must be a positive number, got ${ttlMs}`);
    }
    const ttl = Math.ceil(ttlMs);
    return (
      (await attempt('leases.acquire', () => this.#b.redis.roarLeaseAcquire(key, owner, ttl))) === 1
    );
  }

  async release(name: string, owner: string): Promise<void> {
    const key = this.#b.keys.lease(name);
    await attempt('leases.release', () => this.#b.redis.roarLeaseRelease(key, owner));
  }

  async holder(name: string): Promise<string | undefined> {
    const key = this.#b.keys.lease(name);
    return (await attempt('leases.holder', () => this.#b.redis.get(key))) ?? undefined;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`RedisStoreOptions.${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function warnConnectionError(error: Error): void {
  console.warn(`redis store: connection lost, reconnecting in the background: ${error.message}`);
}

/**
 * The `Store` on Redis. While Redis is unreachable every call rejects at once (or after
 * `commandTimeoutMs` at worst) with `StoreUnavailableError`: nothing is queued, and nothing that
 * failed is replayed later. The client meanwhile reconnects in the background (backoff up to 2 s)
 * and the same object works again as soon as Redis is back.
 */
export class RedisStore implements Store {
  readonly history: ChatHistory;
  readonly uniques: UniqueCounter;
  readonly stats: StreamStats;
  readonly leases: Leases;
  readonly moderation: ModerationStore;
  /** The key scheme in use, for operators' tools and tests. */
  readonly keys: Keys;
  readonly #redis: Redis;
  #outageReported = false;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    if (typeof options.url !== 'string' || options.url === '') {
      throw new Error('RedisStoreOptions.url must be a redis:// URL');
    }
    const historyCapacity = positiveInteger('historyCapacity', options.historyCapacity);
    const commandTimeoutMs = positiveInteger(
      'commandTimeoutMs',
      options.commandTimeoutMs ?? defaults.commandTimeoutMs,
    );
    const totalsTtlSeconds = positiveInteger(
      'totalsTtlSeconds',
      options.totalsTtlSeconds ?? defaults.totalsTtlSeconds,
    );
    const auditCapacity = positiveInteger(
      'auditCapacity',
      options.auditCapacity ?? storeDefaults.auditCapacity,
    );
    const streamStateTtlSeconds = positiveInteger(
      'streamStateTtlSeconds',
      options.streamStateTtlSeconds ?? defaults.streamStateTtlSeconds,
    );
    const heldCapacity = positiveInteger(
      'heldCapacity',
      options.heldCapacity ?? storeDefaults.heldCapacity,
    );
    this.keys = new Keys(options.prefix ?? defaults.prefix);
    const onConnectionError = options.onConnectionError ?? warnConnectionError;

    const redis = new Redis(options.url, {
      // Fail fast rather than queue: a caller must hear "unavailable" now, not after an outage.
      enableOfflineQueue: false,
      // Commands in flight when the connection drops fail at once instead of waiting for
      // reconnect attempts...
      maxRetriesPerRequest: 0,
      // ...and are not sent again afterwards: the caller was already told they failed.
      autoResendUnfulfilledCommands: false,
      commandTimeout: commandTimeoutMs,
      // A connect that hangs (dropped packets) must not hold up the next attempt for long.
      connectTimeout: 2000,
      // disconnect() during an outage arms a timer to destroy the already dead socket; the
      // default 2 s of it would hold a shutting-down process open.
      disconnectTimeout: 200,
      // Never gives up: the store is long-lived, and Redis coming back must be noticed.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      scripts: { ...scripts, ...moderationScripts },
    });
    // Without a listener, ioredis's connection errors would be unhandled and crash the process.
    redis.on('error', (error: Error) => {
      if (this.#outageReported || this.#closed) return;
      this.#outageReported = true;
      onConnectionError(error);
    });
    redis.on('ready', () => {
      this.#outageReported = false;
    });
    this.#redis = redis;

    // The cast names what `scripts` just defined; ioredis types cannot see them.
    const scripted = redis as Redis & ScriptCommands & ModerationScriptCommands;
    const backend: Backend = {
      redis: scripted,
      keys: this.keys,
      historyCapacity,
      totalsTtlSeconds,
      streamStateTtlSeconds,
    };
    this.history = new RedisHistory(backend);
    this.uniques = new RedisUniques(backend);
    this.stats = new RedisStats(backend);
    this.leases = new RedisLeases(backend);
    this.moderation = new RedisModeration({
      redis: scripted,
      keys: this.keys,
      auditCapacity,
      heldCapacity,
      heldTtlSeconds: streamStateTtlSeconds,
    });
  }

  /** True while commands can reach Redis; for health checks. */
  get connected(): boolean {
    return !this.#closed && this.#redis.status === 'ready';
  }

  /**
   * Resolves once Redis is reachable; rejects with `StoreUnavailableError` when it is not within
   * `timeoutMs`. Calls made before then fail rather than wait, so a service awaits this at start.
   */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError('ready', new Error('closed')));
    }
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#redis.off('ready', onReady);
        reject(
          new StoreUnavailableError('ready', new Error(`not connected within ${timeoutMs} ms`)),
        );
      }, timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  /** Closes the connection and stops reconnecting; later calls reject with `StoreUnavailableError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redis.status === 'ready') {
      // QUIT lets replies already on their way arrive; if it fails, the socket is gone anyway.
      await this.#redis.quit().catch(() => this.#redis.disconnect());
    } else {
      this.#redis.disconnect();
    }
  }
}

/** A `Store` on Redis; see `RedisStore` for what happens when Redis is down. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
