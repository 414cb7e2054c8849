import type { Keys } from './keys.js';
import {
  composeModeration,
  type GenerationMarker,
  type ModerationStore,
  type PinStore,
  type RequestClaims,
  type SettingsStore,
  type StreamSettings,
} from './moderation.js';
import { RedisAudit } from './redis-audit.js';
import { banScripts, RedisBans, type BanScriptCommands } from './redis-bans.js';
import { heldScripts, RedisHeld, type HeldScriptCommands } from './redis-held.js';
import {
  attempt,
  decodeEntry,
  encodeEntry,
  parseObject,
  type RedisClient,
} from './redis-shared.js';
import type { HistoryEntry } from './store.js';

/** The Lua scripts of every moderation part, registered on the client by redis-connection.ts. */
export const moderationScripts = { ...banScripts, ...heldScripts };

/** The commands that `moderationScripts` adds to the client. */
export type ModerationScriptCommands = BanScriptCommands & HeldScriptCommands;

export interface ModerationBackend {
  redis: RedisClient & ModerationScriptCommands;
  keys: Keys;
  auditCapacity: number;
  heldCapacity: number;
  /** Held messages of a stream expire together this long after the last one was held. */
  heldTtlSeconds: number;
}

/** A stream's stored settings: one string of JSON, replaced whole. */
class RedisSettings implements SettingsStore {
  readonly #redis: RedisClient;
  readonly #keys: Keys;

  constructor(redis: RedisClient, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async getSettings(stream: string): Promise<Partial<StreamSettings> | undefined> {
    const key = this.#keys.settings(stream);
    const json = await attempt('moderation.getSettings', () => this.#redis.get(key));
    return json === null ? undefined : (parseObject(json, 'settings') as Partial<StreamSettings>);
  }

  async putSettings(stream: string, settings: Partial<StreamSettings>): Promise<void> {
    const key = this.#keys.settings(stream);
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw new TypeError('stream settings must be an object');
    }
    const json = JSON.stringify(settings);
    await attempt('moderation.putSettings', () => this.#redis.set(key, json));
  }
}

/** A stream's pin: one string shaped as a history element (`id NUL bytes`). */
class RedisPins implements PinStore {
  readonly #redis: RedisClient;
  readonly #keys: Keys;

  constructor(redis: RedisClient, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async setPin(stream: string, entry: HistoryEntry | null): Promise<void> {
    const key = this.#keys.pin(stream);
    if (entry === null) {
      await attempt('moderation.setPin', () => this.#redis.del(key));
      return;
    }
    const element = encodeEntry(entry);
    await attempt('moderation.setPin', () => this.#redis.set(key, element));
  }

  async getPin(stream: string): Promise<HistoryEntry | undefined> {
    const key = this.#keys.pin(stream);
    const element = await attempt('moderation.getPin', () => this.#redis.getBuffer(key));
    return element === null ? undefined : decodeEntry(element);
  }
}

/** A claim is a key with a PX expiry: Redis's clock decides expiry, so gateways' need not agree. */
class RedisClaims implements RequestClaims {
  readonly #redis: RedisClient;
  readonly #keys: Keys;

  constructor(redis: RedisClient, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async releaseRequest(key: string): Promise<void> {
    const claim = this.#keys.claim(key);
    await attempt('moderation.releaseRequest', () => this.#redis.del(claim));
  }

  async claimRequest(key: string, ttlMs: number): Promise<boolean> {
    const claim = this.#keys.claim(key);
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`claim ttlMs must be a positive number, got ${ttlMs}`);
    }
    const ttl = Math.ceil(ttlMs);
    const reply = await attempt('moderation.claimRequest', () =>
      this.#redis.set(claim, '1', 'PX', ttl, 'NX'),
    );
    return reply === 'OK';
  }
}

class RedisGeneration implements GenerationMarker {
  readonly #redis: RedisClient;
  readonly #keys: Keys;

  constructor(redis: RedisClient, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async generation(candidate: string): Promise<{ id: string; created: boolean }> {
    if (typeof candidate !== 'string' || candidate === '') {
      throw new Error('generation candidate must be non-empty');
    }
    // SET NX GET (Redis 7): one round trip, and of racing writers exactly one creates it.
    const previous = await attempt('moderation.generation', () =>
      this.#redis.set(this.#keys.generation(), candidate, 'NX', 'GET'),
    );
    return previous === null ? { id: candidate, created: true } : { id: previous, created: false };
  }
}

/**
 * `ModerationStore` on Redis (7.0 or later), one part per job: redis-bans.ts, redis-audit.ts,
 * redis-held.ts and the small ones above. Every key shape is listed in keys.ts.
 */
export function createRedisModeration(backend: ModerationBackend): ModerationStore {
  const { redis, keys } = backend;
  return composeModeration({
    bans: new RedisBans(redis, keys),
    settings: new RedisSettings(redis, keys),
    pins: new RedisPins(redis, keys),
    audit: new RedisAudit(redis, keys, backend.auditCapacity),
    held: new RedisHeld(backend),
    claims: new RedisClaims(redis, keys),
    generation: new RedisGeneration(redis, keys),
  });
}
