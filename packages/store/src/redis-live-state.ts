import type { Keys } from './keys.js';
import {
  STATE_IDEMPOTENCY_KEYS,
  STATE_TOMBSTONES,
  badStateWrite,
  type LiveStateStore,
  type StateWrite,
  type StateWriteResult,
  type StoredState,
  type StoredStateEntry,
} from './live-state.js';
import { attempt, type RedisClient } from './redis-shared.js';

/**
 * One write, atomically: the idempotency check, the condition, the key limit, the next version,
 * the entry, the tombstone bound and the idempotency record. The state hash holds `v` (version),
 * `f` (floor), `n` (live keys), `t` (tombstones), `k:<key>` → `version:ts:json` (a tombstone is
 * `version:ts`) and `i:<idempotency key>` → `version:key`; the list KEYS[2] holds the remembered
 * idempotency keys, newest first, so the oldest is forgotten first.
 *
 * KEYS: state hash, idempotency list. ARGV: key, json ('' deletes), ifVersion ('' none),
 * idempotency key ('' none), ts, maxKeys, ttl, idempotency cap, tombstone cap.
 */
const WRITE_LUA = `
local h = KEYS[1]
if ARGV[4] ~= '' then
  local done = redis.call('HGET', h, 'i:' .. ARGV[4])
  if done then return {'replayed', done} end
end
local field = 'k:' .. ARGV[1]
local cur = redis.call('HGET', h, field)
local live = 0
local tomb = false
if cur then
  local a = string.find(cur, ':', 1, true)
  if string.find(cur, ':', a + 1, true) then live = tonumber(string.sub(cur, 1, a - 1)) else tomb = true end
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= live then return {'conflict', tostring(live)} end
local del = ARGV[2] == ''
if del and live == 0 then return {'missing', ''} end
if not del and live == 0 then
  if tonumber(redis.call('HGET', h, 'n') or '0') >= tonumber(ARGV[6]) then return {'full', ''} end
  redis.call('HINCRBY', h, 'n', 1)
  if tomb then redis.call('HINCRBY', h, 't', -1) end
end
if redis.call('HSETNX', h, 'v', ARGV[5]) == 1 then redis.call('HSET', h, 'f', ARGV[5]) end
local v = redis.call('HINCRBY', h, 'v', 1)
if del then
  redis.call('HSET', h, field, v .. ':' .. ARGV[5])
  redis.call('HINCRBY', h, 'n', -1)
  if redis.call('HINCRBY', h, 't', 1) > tonumber(ARGV[9]) then
    local all = redis.call('HGETALL', h)
    local oldest, oldestV = nil, nil
    for i = 1, #all, 2 do
      local f, val = all[i], all[i + 1]
      if string.sub(f, 1, 2) == 'k:' then
        local a = string.find(val, ':', 1, true)
        if not string.find(val, ':', a + 1, true) then
          local tv = tonumber(string.sub(val, 1, a - 1))
          if oldestV == nil or tv < oldestV then oldest, oldestV = f, tv end
        end
      end
    end
    redis.call('HDEL', h, oldest)
    redis.call('HINCRBY', h, 't', -1)
    if oldestV > tonumber(redis.call('HGET', h, 'f') or '0') then redis.call('HSET', h, 'f', oldestV) end
  end
else
  redis.call('HSET', h, field, v .. ':' .. ARGV[5] .. ':' .. ARGV[2])
end
if ARGV[4] ~= '' then
  redis.call('HSET', h, 'i:' .. ARGV[4], v .. ':' .. ARGV[1])
  redis.call('LPUSH', KEYS[2], ARGV[4])
  if redis.call('LLEN', KEYS[2]) > tonumber(ARGV[8]) then
    redis.call('HDEL', h, 'i:' .. redis.call('RPOP', KEYS[2]))
  end
  redis.call('EXPIRE', KEYS[2], ARGV[7])
end
redis.call('EXPIRE', h, ARGV[7])
return {'written', tostring(v)}`;

/** Lua scripts of this module, registered on the client by `RedisStore`. */
export const liveStateScripts = {
  roarStateWrite: { numberOfKeys: 2, lua: WRITE_LUA },
};

/** The commands that `liveStateScripts` adds to the client, which ioredis cannot type. */
export interface LiveStateScriptCommands {
  roarStateWrite(
    hash: string,
    idempotency: string,
    key: string,
    json: string,
    ifVersion: string,
    idempotencyKey: string,
    ts: number,
    maxKeys: number,
    ttlSeconds: number,
    idempotencyCap: number,
    tombstoneCap: number,
  ): Promise<[string, string]>;
}

export interface LiveStateBackend {
  redis: RedisClient & LiveStateScriptCommands;
  keys: Keys;
  streamStateTtlSeconds: number;
}

/** The live state on Redis: one hash per stream and one script per write (see `WRITE_LUA`). */
export class RedisLiveState implements LiveStateStore {
  readonly #b: LiveStateBackend;

  constructor(backend: LiveStateBackend) {
    this.#b = backend;
  }

  async write(stream: string, w: StateWrite): Promise<StateWriteResult> {
    const error = badStateWrite(w);
    if (error) throw error;
    const { keys } = this.#b;
    const hash = keys.liveState(stream);
    const idempotency = keys.liveStateIdempotency(stream);
    const [outcome, detail] = await attempt('liveState.write', () =>
      this.#b.redis.roarStateWrite(
        hash,
        idempotency,
        w.key,
        w.json ?? '',
        w.ifVersion === undefined ? '' : String(w.ifVersion),
        w.idempotencyKey ?? '',
        w.ts,
        w.maxKeys,
        this.#b.streamStateTtlSeconds,
        STATE_IDEMPOTENCY_KEYS,
        STATE_TOMBSTONES,
      ),
    );
    switch (outcome) {
      case 'written':
        return { outcome, version: Number(detail) };
      case 'replayed': {
        const colon = detail.indexOf(':');
        return { outcome, version: Number(detail.slice(0, colon)), key: detail.slice(colon + 1) };
      }
      case 'conflict':
        return { outcome, current: Number(detail) };
      case 'full':
      case 'missing':
        return { outcome };
      default:
        throw new Error(`unexpected state write reply ${outcome}`);
    }
  }

  async read(stream: string): Promise<StoredState> {
    const fields = await attempt('liveState.read', () =>
      this.#b.redis.hgetall(this.#b.keys.liveState(stream)),
    );
    const entries = new Map<string, StoredStateEntry>();
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith('k:')) continue;
      const a = value.indexOf(':');
      const b = value.indexOf(':', a + 1);
      entries.set(field.slice(2), {
        version: Number(value.slice(0, a)),
        ts: Number(b < 0 ? value.slice(a + 1) : value.slice(a + 1, b)),
        json: b < 0 ? undefined : value.slice(b + 1),
      });
    }
    return { version: Number(fields.v ?? 0), floor: Number(fields.f ?? 0), entries };
  }
}
