import type { Keys } from './keys.js';
import type { HeldMessage, HeldQueue } from './moderation.js';
import { attempt, copyBytes, parseObject, type RedisClient } from './redis-shared.js';

/** Added to the client next to redis-store.ts's scripts; see there for why scripts at all. */
export const heldScripts = {
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

/** The commands that `heldScripts` adds to the client. */
export interface HeldScriptCommands {
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

export interface HeldBackend {
  redis: RedisClient & HeldScriptCommands;
  keys: Keys;
  heldCapacity: number;
  /** Held messages of a stream expire together this long after the last one was held. */
  heldTtlSeconds: number;
}

/**
 * The held queue on Redis: a hash id → message for lookup and a list of ids for order, changed
 * together only by scripts, so the two never disagree and `takeHeld` has one winner. Both expire
 * `heldTtlSeconds` after the last hold, so a stream nobody moderates leaves nothing behind.
 */
export class RedisHeld implements HeldQueue {
  readonly #b: HeldBackend;

  constructor(backend: HeldBackend) {
    this.#b = backend;
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
