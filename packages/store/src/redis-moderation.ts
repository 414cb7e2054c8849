import { banEnded, byIssue } from './bans.js';
import type { Keys } from './keys.js';
import type {
  AuditEntry,
  Ban,
  HeldMessage,
  ModerationStore,
  Scope,
  StreamSettings,
} from './moderation.js';
import { attempt, copyBytes, decodeEntry, encodeEntry, type RedisClient } from './redis-shared.js';
import type { HistoryEntry } from './store.js';

/**
 * How long a scope's ban hash outlives its last timeout. `until` is the caller's clock and the
 * expiry Redis's, so the margin keeps a clock that is behind from losing a running timeout.
 */
const BAN_KEY_GRACE_MS = 60 * 60_000;

/** Largest part of a stream id (`<ms>-<seq>`, both unsigned 64-bit). */
const U64_MAX = 2n ** 64n - 1n;

/** Added to the client next to redis-store.ts's scripts; see there for why scripts at all. */
export const moderationScripts = {
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
  roarHold: {
    numberOfKeys: 2,
    lua: `
      if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
        redis.call('LREM', KEYS[2], 1, ARGV[1])
      end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      redis.call('RPUSH', KEYS[2], ARGV[1])
      for _ = 1, redis.call('LLEN', KEYS[2]) - tonumber(ARGV[3]) do
        redis.call('HDEL', KEYS[1], redis.call('LPOP', KEYS[2]))
      end
      redis.call('EXPIRE', KEYS[1], ARGV[4])
      redis.call('EXPIRE', KEYS[2], ARGV[4])
      return 1`,
  },
  roarHeldList: {
    numberOfKeys: 2,
    // HGET one by one rather than HMGET with unpack(), which Lua's stack limits to a few thousand.
    lua: `
      local out = {}
      for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        local value = redis.call('HGET', KEYS[1], id)
        if value then out[#out + 1] = value end
      end
      return out`,
  },
  roarHeldTake: {
    numberOfKeys: 2,
    // One script, so of concurrent takers exactly one finds the field.
    lua: `
      local value = redis.call('HGET', KEYS[1], ARGV[1])
      if not value then return false end
      redis.call('HDEL', KEYS[1], ARGV[1])
      redis.call('LREM', KEYS[2], 1, ARGV[1])
      return value`,
  },
};

/** The commands that `moderationScripts` adds to the client. */
export interface ModerationScriptCommands {
  roarBanPut(key: string, userId: string, ban: string, expireAtMs: string): Promise<number>;
  roarBanSweep(key: string, ...fieldsAndValues: string[]): Promise<number>;
  roarHold(
    held: string,
    order: string,
    id: string,
    value: Buffer,
    cap: number,
    ttlSeconds: number,
  ): Promise<number>;
  roarHeldListBuffer(held: string, order: string): Promise<Buffer[]>;
  roarHeldTakeBuffer(held: string, order: string, id: string): Promise<Buffer | null>;
}

export interface ModerationBackend {
  redis: RedisClient & ModerationScriptCommands;
  keys: Keys;
  auditCapacity: number;
  heldCapacity: number;
  /** Held messages of a stream expire together this long after the last one was held. */
  heldTtlSeconds: number;
}

/**
 * `ModerationStore` on Redis (7.0 or later: PEXPIREAT GT, exclusive XREVRANGE). Key shapes, all
 * listed in keys.ts:
 *
 * - Bans: one hash per scope, user id → JSON. Every read wants the whole scope (gateways cache
 *   it), so a sorted set by end time would add a second key to keep in step for no faster read.
 *   Ended bans are swept by `listBans`, and a scope of timeouts alone expires with the last one.
 * - Audit: a Redis Stream per scope. Its ids are assigned by Redis and always increase, even
 *   across gateways with different clocks, `before` paging is XREVRANGE with an exclusive end,
 *   and XADD trims in the same command. The trim is exact (`MAXLEN =`, not `~`): the cap is a
 *   promise, and audit entries come at the pace of moderators, not of chat.
 * - Held: a hash id → message for lookup and a list of ids for order, changed together only by
 *   scripts, so the two never disagree and `takeHeld` has one winner. Both expire
 *   `heldTtlSeconds` after the last hold, so a stream nobody moderates leaves nothing behind.
 */
export class RedisModeration implements ModerationStore {
  readonly #b: ModerationBackend;

  constructor(backend: ModerationBackend) {
    this.#b = backend;
  }

  async putBan(ban: Ban): Promise<void> {
    const key = this.#b.keys.bans(ban.scope);
    const json = encodeBan(ban);
    const expireAt = ban.until === null ? '' : String(Math.ceil(ban.until) + BAN_KEY_GRACE_MS);
    await attempt('moderation.putBan', () =>
      this.#b.redis.roarBanPut(key, ban.userId, json, expireAt),
    );
  }

  async removeBan(scope: Scope, userId: string): Promise<boolean> {
    const key = this.#b.keys.bans(scope);
    return (await attempt('moderation.removeBan', () => this.#b.redis.hdel(key, userId))) === 1;
  }

  async listBans(scope: Scope, now: number): Promise<Ban[]> {
    const key = this.#b.keys.bans(scope);
    const stored = await attempt('moderation.listBans', () => this.#b.redis.hgetall(key));
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
      await attempt('moderation.listBans', () => this.#b.redis.roarBanSweep(key, ...sweep));
    }
    return live.sort(byIssue);
  }

  async getSettings(stream: string): Promise<Partial<StreamSettings> | undefined> {
    const key = this.#b.keys.settings(stream);
    const json = await attempt('moderation.getSettings', () => this.#b.redis.get(key));
    return json === null ? undefined : (parseObject(json, 'settings') as Partial<StreamSettings>);
  }

  async putSettings(stream: string, settings: Partial<StreamSettings>): Promise<void> {
    const key = this.#b.keys.settings(stream);
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw new TypeError('stream settings must be an object');
    }
    const json = JSON.stringify(settings);
    await attempt('moderation.putSettings', () => this.#b.redis.set(key, json));
  }

  async setPin(stream: string, entry: HistoryEntry | null): Promise<void> {
    const key = this.#b.keys.pin(stream);
    if (entry === null) {
      await attempt('moderation.setPin', () => this.#b.redis.del(key));
      return;
    }
    const element = encodeEntry(entry);
    await attempt('moderation.setPin', () => this.#b.redis.set(key, element));
  }

  async getPin(stream: string): Promise<HistoryEntry | undefined> {
    const key = this.#b.keys.pin(stream);
    const element = await attempt('moderation.getPin', () => this.#b.redis.getBuffer(key));
    return element === null ? undefined : decodeEntry(element);
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const key = this.#b.keys.audit(entry.scope);
    const { at, scope, actor, action, target, reason, details } = entry;
    const json = JSON.stringify({ at, actor, action, target, reason, details });
    const cap = this.#b.auditCapacity;
    const id = await attempt('moderation.appendAudit', () =>
      this.#b.redis.xadd(key, 'MAXLEN', '=', cap, '*', 'e', json),
    );
    if (id === null) throw new Error('XADD added no entry');
    return decodeAudit(id, json, scope);
  }

  async listAudit(scope: Scope, limit: number, before?: string): Promise<AuditEntry[]> {
    const key = this.#b.keys.audit(scope);
    const end = before === undefined ? '+' : exclusiveEnd(before);
    // The stream never holds more than the capacity, which also turns Infinity into a count.
    const count = Math.min(Math.floor(limit), this.#b.auditCapacity);
    if (!(count > 0) || end === undefined) return [];
    const entries = await attempt('moderation.listAudit', () =>
      this.#b.redis.xrevrange(key, end, '-', 'COUNT', count),
    );
    return entries.map(([id, fields]) => decodeAudit(id, fieldValue(fields, 'e'), scope));
  }

  async hold(message: HeldMessage): Promise<void> {
    const held = this.#b.keys.held(message.stream);
    const order = this.#b.keys.heldOrder(message.stream);
    const value = encodeHeld(message);
    const cap = this.#b.heldCapacity;
    await attempt('moderation.hold', () =>
      this.#b.redis.roarHold(held, order, message.id, value, cap, this.#b.heldTtlSeconds),
    );
  }

  async listHeld(stream: string): Promise<HeldMessage[]> {
    const held = this.#b.keys.held(stream);
    const order = this.#b.keys.heldOrder(stream);
    const values = await attempt('moderation.listHeld', () =>
      this.#b.redis.roarHeldListBuffer(held, order),
    );
    return values.map((value) => decodeHeld(value, stream));
  }

  async takeHeld(stream: string, id: string): Promise<HeldMessage | undefined> {
    const held = this.#b.keys.held(stream);
    const order = this.#b.keys.heldOrder(stream);
    const value = await attempt('moderation.takeHeld', () =>
      this.#b.redis.roarHeldTakeBuffer(held, order, id),
    );
    return value === null ? undefined : decodeHeld(value, stream);
  }

  async releaseRequest(key: string): Promise<void> {
    const claim = this.#b.keys.claim(key);
    await attempt('moderation.releaseRequest', () => this.#b.redis.del(claim));
  }

  async claimRequest(key: string, ttlMs: number): Promise<boolean> {
    const claim = this.#b.keys.claim(key);
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`claim ttlMs must be a positive number, got ${ttlMs}`);
    }
    const ttl = Math.ceil(ttlMs);
    // Redis's clock decides expiry, so gateways' clocks need not agree.
    const reply = await attempt('moderation.claimRequest', () =>
      this.#b.redis.set(claim, '1', 'PX', ttl, 'NX'),
    );
    return reply === 'OK';
  }

  async generation(candidate: string): Promise<{ id: string; created: boolean }> {
    if (typeof candidate !== 'string' || candidate === '') {
      throw new Error('generation candidate must be non-empty');
    }
    // SET NX GET (Redis 7): one round trip, and of racing writers exactly one creates it.
    const previous = await attempt('moderation.generation', () =>
      this.#b.redis.set(this.#b.keys.generation(), candidate, 'NX', 'GET'),
    );
    return previous === null ? { id: candidate, created: true } : { id: previous, created: false };
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

function decodeAudit(id: string, json: string | undefined, scope: Scope): AuditEntry {
  if (json === undefined) throw new Error(`audit entry ${id} has no "e" field`);
  const { at, actor, action, target, reason, details } = parseObject(json, 'audit entry');
  if (typeof at !== 'number' || typeof actor !== 'string' || typeof action !== 'string') {
    throw new Error(`stored audit entry ${id} is malformed`);
  }
  const entry: AuditEntry = { id, at, scope, actor, action };
  if (typeof target === 'string') entry.target = target;
  if (typeof reason === 'string') entry.reason = reason;
  if (typeof details === 'object' && details !== null && !Array.isArray(details)) {
    entry.details = details as Record<string, unknown>;
  }
  return entry;
}

/**
 * `(id` for XREVRANGE, or undefined when nothing can precede `before`. A malformed id is the
 * caller's mistake, so it throws here rather than come back from Redis as an outage.
 */
function exclusiveEnd(before: string): string | undefined {
  const parts = /^(\d{1,20})-(\d{1,20})$/.exec(before);
  const ms = parts?.[1] === undefined ? -1n : BigInt(parts[1]);
  const seq = parts?.[2] === undefined ? -1n : BigInt(parts[2]);
  if (ms < 0n || seq < 0n || ms > U64_MAX || seq > U64_MAX) {
    throw new Error(`invalid audit id "${before}"`);
  }
  return ms === 0n && seq === 0n ? undefined : `(${before}`;
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * `JSON NUL bytes`: JSON escapes NUL inside strings, so the first NUL ends the header and the
 * message bytes follow untouched, as in history.
 */
function encodeHeld({ id, at, reason, bytes }: HeldMessage): Buffer {
  if (!Number.isFinite(at)) throw new RangeError(`held at must be a finite number, got ${at}`);
  const header = Buffer.from(JSON.stringify({ id, at, reason }), 'utf8');
  return Buffer.concat([header, Buffer.from([0]), bytes]);
}

function decodeHeld(value: Buffer, stream: string): HeldMessage {
  const separator = value.indexOf(0);
  if (separator < 0) throw new Error('held message without a header separator');
  const { id, at, reason } = parseObject(value.toString('utf8', 0, separator), 'held message');
  if (typeof id !== 'string' || typeof at !== 'number' || typeof reason !== 'string') {
    throw new Error('stored held message is malformed');
  }
  return { id, bytes: copyBytes(value, separator + 1), stream, at, reason };
}

function parseObject(json: string, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`stored ${what} is not an object`);
  }
  return value as Record<string, unknown>;
}
