import type { Keys } from './keys.js';
import type { AuditEntry, AuditLog, Scope } from './moderation.js';
import { attempt, parseObject, type RedisClient } from './redis-shared.js';

/** Largest part of a stream id (`<ms>-<seq>`, both unsigned 64-bit). */
const U64_MAX = 2n ** 64n - 1n;

/**
 * The audit log on Redis: a Redis Stream per scope. Its ids are assigned by Redis and always
 * increase, even across gateways with different clocks, `before` paging is XREVRANGE with an
 * exclusive end (Redis 6.2 or later), and XADD trims in the same command. The trim is exact
 * (`MAXLEN =`, not `~`): the cap is a promise, and audit entries come at the pace of moderators,
 * not of chat.
 */
export class RedisAudit implements AuditLog {
  readonly #redis: RedisClient;
  readonly #keys: Keys;
  readonly #capacity: number;

  constructor(redis: RedisClient, keys: Keys, capacity: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#capacity = capacity;
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const key = this.#keys.audit(entry.scope);
    const { at, scope, actor, action, target, reason, details } = entry;
    const json = JSON.stringify({ at, actor, action, target, reason, details });
    const cap = this.#capacity;
    const id = await attempt('moderation.appendAudit', () =>
      this.#redis.xadd(key, 'MAXLEN', '=', cap, '*', 'e', json),
    );
    if (id === null) throw new Error('XADD added no entry');
    return decodeAudit(id, json, scope);
  }

  async listAudit(scope: Scope, limit: number, before?: string): Promise<AuditEntry[]> {
    const key = this.#keys.audit(scope);
    const end = before === undefined ? '+' : exclusiveEnd(before);
    // The stream never holds more than the capacity, which also turns Infinity into a count.
    const count = Math.min(Math.floor(limit), this.#capacity);
    if (!(count > 0) || end === undefined) return [];
    const entries = await attempt('moderation.listAudit', () =>
      this.#redis.xrevrange(key, end, '-', 'COUNT', count),
    );
    return entries.map(([id, fields]) => decodeAudit(id, fieldValue(fields, 'e'), scope));
  }
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
