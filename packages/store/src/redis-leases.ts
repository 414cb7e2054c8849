import type { Keys } from './keys.js';
import { attempt, type RedisClient } from './redis-shared.js';
import type { Leases } from './store.js';

/** Only a lease's holder renews or releases it (Lua, registered by `RedisStore`). */
export const leaseScripts = {
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

/** The commands that `leaseScripts` adds to the client. */
export interface LeaseScriptCommands {
  roarLeaseAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  roarLeaseRelease(key: string, owner: string): Promise<number>;
}

export interface LeaseBackend {
  redis: RedisClient & LeaseScriptCommands;
  keys: Keys;
}

/** Expiry is Redis's clock (PX), so aggregators' clocks need not agree. */
export class RedisLeases implements Leases {
  readonly #b: LeaseBackend;

  constructor(backend: LeaseBackend) {
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
