import type { Keys } from './keys.js';
import { attempt, type RedisClient } from './redis-shared.js';
import type { Leases } from './store.js';

/**
 * Only a lease's holder renews or releases it (Lua, registered by `RedisStore`). A grant to a
 * holder that did not hold the lease a moment ago opens a new epoch: Redis's clock in ms, or one
 * more than the last epoch when that is higher. So epochs grow with every change of holder, and
 * keep growing after Redis restarts empty as long as its clock does not go back.
 */
export const leaseScripts = {
  roarLeaseAcquire: {
    numberOfKeys: 2,
    lua: `
      local holder = redis.call('GET', KEYS[1])
      if holder and holder ~= ARGV[1] then return 0 end
      local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
      if not holder or epoch == 0 then
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        epoch = math.max(epoch + 1, ms)
        redis.call('SET', KEYS[2], epoch)
      end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return epoch`,
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
  roarLeaseAcquire(key: string, epochKey: string, owner: string, ttlMs: number): Promise<number>;
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

  async acquire(name: string, owner: string, ttlMs: number): Promise<number> {
    const key = this.#b.keys.lease(name);
    const epochKey = this.#b.keys.leaseEpoch(name);
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`lease ttlMs must be a positive number, got ${ttlMs}`);
    }
    const ttl = Math.ceil(ttlMs);
    const epoch = await attempt('leases.acquire', () =>
      this.#b.redis.roarLeaseAcquire(key, epochKey, owner, ttl),
    );
    return Number(epoch);
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
