import { banEnded, byIssue } from './bans.js';
import type { Keys } from './keys.js';
import type { Ban, BanStore, Scope } from './moderation.js';
import { attempt, parseObject, type RedisClient } from './redis-shared.js';

/**
 * How long a scope's ban hash outlives its last timeout. `until` is the caller's clock and the
 * expiry Redis's, so the margin keeps a clock that is behind from losing a running timeout.
 */
const BAN_KEY_GRACE_MS = 60 * 60_000;

/** Added to the client next to redis-store.ts's scripts; see there for why scripts at all. */
export const banScripts = {
  roarBanPut: {
    numberOfKeys: 1,
    // A scope holding only timeouts expires after the last one ends, so ended streams leave
    // nothing behind. A key that existed without an expiry holds (or held) a permanent ban;
    // GT leaves such a key alone, as it treats "no expiry" as the latest possible one.
    lua: `
      local existed = redis.call('EXISTS', KEYS[1])
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      if ARGV[3] == '' then
        redis.call('PERSIST', KEYS[1])
      elseif existed == 0 then
        redis.call('PEXPIREAT', KEYS[1], ARGV[3])
      else
        redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
      end
      return 1`,
  },
  roarBanSweep: {
    numberOfKeys: 1,
    // Deletes a field only if it still holds the ban seen as ended: a ban put since then stays.
    lua: `
      local removed = 0
      for i = 1, #ARGV, 2 do
        if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
          removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
        end
      end
      return removed`,
  },
};

/** The commands that `banScripts` adds to the client. */
export interface BanScriptCommands {
  roarBanPut(key: string, userId: string, ban: string, expireAtMs: string): Promise<number>;
  roarBanSweep(key: string, ...fieldsAndValues: string[]): Promise<number>;
}

/**
 * Bans on Redis: one hash per scope, user id → JSON. Every read wants the whole scope (gateways
 * cache it), so a sorted set by end time would add a second key to keep in step for no faster
 * read. Ended bans are swept by `listBans`, and a scope of timeouts alone expires with the last
 * one (PEXPIREAT GT, Redis 7.0 or later).
 */
export class RedisBans implements BanStore {
  readonly #redis: RedisClient & BanScriptCommands;
  readonly #keys: Keys;

  constructor(redis: RedisClient & BanScriptCommands, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async putBan(ban: Ban): Promise<void> {
    const key = this.#keys.bans(ban.scope);
    const json = encodeBan(ban);
    const expireAt = ban.until === null ? '' : String(Math.ceil(ban.until) + BAN_KEY_GRACE_MS);
    await attempt('moderation.putBan', () =>
      this.#redis.roarBanPut(key, ban.userId, json, expireAt),
    );
  }

  async removeBan(scope: Scope, userId: string): Promise<boolean> {
    const key = this.#keys.bans(scope);
    return (await attempt('moderation.removeBan', () => this.#redis.hdel(key, userId))) === 1;
  }

  async listBans(scope: Scope, now: number): Promise<Ban[]> {
    const key = this.#keys.bans(scope);
    const stored = await attempt('moderation.listBans', () => this.#redis.hgetall(key));
    // Sweeps only what has ended by this machine's clock too, so a `now` ahead of it (a test, a
    // preview) cannot delete bans that still hold for everyone else.
    const cutoff = Math.min(now, Date.now());
    const sweep: string[] = [];
    const live: Ban[] = [];
    for (const [userId, json] of Object.entries(stored)) {
      const ban = decodeBan(json, scope);
      if (banEnded(ban, cutoff)) sweep.push(userId, json);
      if (!banEnded(ban, now)) live.push(ban);
    }
    if (sweep.length > 0) {
      await attempt('moderation.listBans', () => this.#redis.roarBanSweep(key, ...sweep));
    }
    return live.sort(byIssue);
  }
}

function encodeBan({ userId, scope, until, reason, by, at }: Ban): string {
  if (typeof userId !== 'string' || userId === '') throw new Error('ban userId must be non-empty');
  if (until !== null && !Number.isFinite(until)) {
    throw new RangeError(`ban until must be null or a finite number, got ${until}`);
  }
  if (!Number.isFinite(at)) throw new RangeError(`ban at must be a finite number, got ${at}`);
  return JSON.stringify({ userId, scope, until, reason, by, at });
}

function decodeBan(json: string, scope: Scope): Ban {
  const { userId, until, reason, by, at } = parseObject(json, 'ban');
  if (
    typeof userId !== 'string' ||
    (until !== null && typeof until !== 'number') ||
    typeof reason !== 'string' ||
    typeof by !== 'string' ||
    typeof at !== 'number'
  ) {
    throw new Error('stored ban is malformed');
  }
  return { userId, scope, until, reason, by, at };
}
