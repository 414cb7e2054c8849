import type { LogAppend, LogEvent, LogEventType } from './events.js';

/**
 * Which events to read. `fromSeq` reads on from a position (a cursor kept by a consumer);
 * `fromTs`/`toTs` read a time window by the events' `ts` (`fromTs` inclusive, `toTs` exclusive).
 * Without `stream`, every stream's events (in `seq` order): the export/webhook path.
 */
export interface LogQuery {
  stream?: string;
  fromSeq?: number;
  fromTs?: number;
  toTs?: number;
  /** Only events of this type. */
  type?: LogEventType;
  /** At most this many events (the first ones); the implementation caps it at `MAX_READ`. */
  limit?: number;
}

/** The most events one `read` returns. */
export const MAX_READ = 10_000;

/** Why an event could not be logged (the `reason` label of `roar_log_dropped_total`). */
export type DropReason =
  /** The append queue was full (the log is slower than the appenders). */
  | 'queue_full'
  /** The log was unreachable for longer than the queue waits (`maxQueueAgeMs`). */
  | 'unavailable'
  /** The log refused or did not acknowledge the event. */
  | 'failed'
  /** Appended after `close()`. */
  | 'closed';

export const DROP_REASONS: readonly DropReason[] = [
  'queue_full',
  'unavailable',
  'failed',
  'closed',
];

/** Counters since the log was opened. */
export interface LogStats {
  /** Events given to `append`. */
  appended: number;
  /** Events the log acknowledged as stored. */
  stored: number;
  /** Events that could not be logged, by reason. */
  dropped: Record<DropReason, number>;
  /** Events waiting in the append queue now. */
  queued: number;
  /** Reads served by the log (each `read` call that reached it). */
  reads: number;
}

/** How long and how much the log keeps (oldest events go first). */
export interface LogRetention {
  /** Keep events this long (ms). */
  maxAgeMs: number;
  /** Keep at most this many bytes of events in total. */
  maxBytes: number;
}

/** Limits of the append queue that keeps appending off the live path. */
export interface AppendQueueOptions {
  /** Events held at most; past it, new events are dropped (`queue_full`). */
  maxQueued: number;
  /** An event not stored within this long (ms) of its append is dropped (`unavailable`). */
  maxQueueAgeMs: number;
}

export const DEFAULT_RETENTION: LogRetention = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 1 << 30 };
export const DEFAULT_APPEND_QUEUE: AppendQueueOptions = { maxQueued: 50_000, maxQueueAgeMs: 2000 };

/**
 * A durable, per-stream log of what happened in each stream: chat published, deleted and cleared,
 * moderation actions, viewer samples and reaction bursts (schema in `events.ts`).
 *
 * Guarantees, for every implementation (checked by `describeLogContract`):
 * - `append` never blocks, never throws and returns nothing to await: events are queued and
 *   stored in batches off the live path. When the log is down, full or closed, events are dropped
 *   and counted in `stats().dropped` by reason — live delivery never waits for the log;
 * - events of one appender are stored in append order; `seq` is strictly increasing per stream
 *   (and across the log) and assigned by the log;
 * - an event `id` appended twice within the duplicate window is stored once (idempotent retries);
 * - `read` returns events in `seq` order, filtered by stream, type, time (`ts`) and position;
 *   an event is readable once `flush()` that followed its `append` resolved;
 * - retention: events older than `maxAgeMs` or beyond `maxBytes` are dropped oldest first;
 * - `connected` is false while the log cannot store (appends are then counted as dropped once
 *   they have waited `maxQueueAgeMs`).
 */
export interface EventLog {
  /** Queues `event` for `stream`. Never throws; see the guarantees above. */
  append(stream: string, event: LogAppend): void;
  /** Events matching `query`, oldest first. Rejects when the log is unreachable. */
  read(query: LogQuery): Promise<LogEvent[]>;
  /** Resolves once every event appended so far is stored or counted as dropped. */
  flush(): Promise<void>;
  /** True while the log can store events. */
  readonly connected: boolean;
  stats(): LogStats;
  /** Flushes what is queued (bounded by `maxQueueAgeMs`) and stops. */
  close(): Promise<void>;
}

/** `read` could not reach the log. */
export class LogUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogUnavailableError';
  }
}

/** Every counter at zero, as a log starts. */
export function emptyStats(): LogStats {
  return {
    appended: 0,
    stored: 0,
    dropped: { queue_full: 0, unavailable: 0, failed: 0, closed: 0 },
    queued: 0,
    reads: 0,
  };
}

/** Caps a requested limit to what one read returns. */
export function readLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return MAX_READ;
  return Math.min(Math.floor(limit), MAX_READ);
}
