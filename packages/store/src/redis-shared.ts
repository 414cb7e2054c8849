import { ErrorCode, RoarError } from '@roar/protocol';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { HistoryEntry } from './store.js';

/**
 * The connection the store's parts share: one Redis server, or a Redis Cluster. Every command
 * they send names keys of one hash slot (a stream's keys share its `{stream}` tag; a global key,
 * a lease or a claim is alone in its command), so either works.
 */
export type RedisClient = Redis | Cluster;

/**
 * Redis could not do what was asked: it is down, unreachable, too slow (past `commandTimeoutMs`)
 * or it refused the command. `cause` holds the ioredis error. Calls fail with it instead of
 * waiting for Redis to come back, so callers can count failures and carry on.
 */
export class StoreUnavailableError extends RoarError {
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ErrorCode.Unavailable, `store unavailable: ${operation} failed: ${reason}`, { cause });
  }
}

/** Runs Redis work, turning any failure into `StoreUnavailableError`; validate before calling. */
export async function attempt<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StoreUnavailableError(operation, error);
  }
}

/** Runs a pipeline or MULTI and fails on the first failed command, as one call should. */
export async function exec(batch: ChainableCommander): Promise<unknown[]> {
  const replies = await batch.exec();
  if (!replies) throw new Error('transaction aborted');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

const NUL = Buffer.from([0]);

/** `id NUL bytes`: the bytes go in untouched, and an id cannot contain the separator. */
export function encodeEntry({ id, bytes }: HistoryEntry): Buffer {
  if (id.includes('\0')) throw new Error(`history id ${JSON.stringify(id)} contains NUL`);
  return Buffer.concat([Buffer.from(id, 'utf8'), NUL, bytes]);
}

export function decodeEntry(element: Buffer): HistoryEntry {
  const separator = element.indexOf(0);
  if (separator < 0) throw new Error('history element without an id separator');
  return { id: element.toString('utf8', 0, separator), bytes: copyBytes(element, separator + 1) };
}

/**
 * A copy, because a reply is a view of the socket's read chunk, which a cached entry would pin;
 * and a plain Uint8Array, the type that was stored (a Buffer is not deeply equal to it).
 */
export function copyBytes(reply: Buffer, start: number): Uint8Array {
  return new Uint8Array(reply.subarray(start));
}

/** A stored JSON object, or an error naming `what` when the stored value is not one. */
export function parseObject(json: string, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`stored ${what} is not an object`);
  }
  return value as Record<string, unknown>;
}
