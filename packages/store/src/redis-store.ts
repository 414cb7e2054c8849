import { Cluster } from 'ioredis';
import { Keys } from './keys.js';
import type { ModerationStore } from './moderation.js';
import { RedisSchedules } from './redis-schedule.js';
import type { ScheduleStore } from './schedule.js';
import { connect } from './redis-connection.js';
import { RedisLeases, type LeaseScriptCommands } from './redis-leases.js';
import type { LiveStateStore } from './live-state.js';
import { RedisLiveState, type LiveStateScriptCommands } from './redis-live-state.js';
import { createRedisModeration, type ModerationScriptCommands } from './redis-moderation.js';
import { RedisQa, type QaScriptCommands } from './redis-qa.js';
import type { QaStore } from './qa.js';
import { StoreUnavailableError, type RedisClient } from './redis-shared.js';
// Polls
import { RedisPolls, type PollScriptCommands } from './redis-polls.js';
import type { PollStore } from './polls.js';
import {
  RedisHistory,
  RedisStats,
  RedisUniques,
  type StreamStateScriptCommands,
} from './redis-stream-state.js';
import {
  storeDefaults,
  type ChatHistory,
  type Leases,
  type Store,
  type StoreConnection,
  type StoreOptions,
  type StreamStats,
  type UniqueCounter,
} from './store.js';

export { StoreUnavailableError };

export interface RedisStoreOptions extends StoreOptions {
  /**
   * Where Redis is: one server, `redis://127.0.0.1:6379/0`, or a Redis Cluster by some of its
   * nodes, `redis-cluster://[user:password@]10.0.0.1:6379,10.0.0.2:6379` (the client learns the
   * rest of the nodes and the slot map from them, and follows failovers and resharding).
   */
  url: string;
  /** Namespaces every key (see `Keys`); default `roar`. */
  prefix?: string;
  /** A command with no reply after this long rejects; default 1000. */
  commandTimeoutMs?: number;
  /** How long a stream's stats (peak, totals, rates) outlive their last update; default 3600. */
  totalsTtlSeconds?: number;
  /**
   * How long a stream's chat history, unique-viewer sketches, held messages and live state outlive their
   * last write, so the keys of ended streams do not pile up; default 604,800 (7 days).
   * Moderation decisions (bans, settings, pin) and the audit log do not expire this way.
   */
  streamStateTtlSeconds?: number;
  /**
   * Hears the first connection error of each outage (ioredis repeats it on every reconnect
   * attempt); on a Redis Cluster also a node's, once per slot-map refresh (every second) while
   * it lasts. The default warns on the console.
   */
  onConnectionError?: (error: Error) => void;
}

/** Defaults of the numeric options (each must be a positive integer). */
const optionDefaults = {
  commandTimeoutMs: 1000,
  totalsTtlSeconds: 3600,
  streamStateTtlSeconds: 7 * 86_400,
  auditCapacity: storeDefaults.auditCapacity,
  heldCapacity: storeDefaults.heldCapacity,
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`RedisStoreOptions.${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function warnConnectionError(error: Error): void {
  console.warn(`redis store: connection lost, reconnecting in the background: ${error.message}`);
}

/**
 * The `Store` on Redis. While Redis is unreachable every call rejects at once (or after
 * `commandTimeoutMs` at worst) with `StoreUnavailableError`: nothing is queued, and nothing that
 * failed is replayed later. The client meanwhile reconnects in the background (backoff up to 2 s)
 * and the same object works again as soon as Redis is back.
 *
 * On a Redis Cluster (`redis-cluster://` URL) the same holds per slot: when a master dies, calls
 * on its slots fail (each within about `commandTimeoutMs`: 1.2–1.5 s with the default 1 s on the
 * loaded test host) until a replica is promoted (about `cluster-node-timeout` plus an election,
 * 3–5 s with a 2 s node timeout in the tests) and the client has read the new slot map (at once
 * on the dead connection, else within a second); every other slot keeps working throughout.
 * Writes the dead master had not yet copied to its replica are lost, as Redis replication is
 * asynchronous.
 */
export class RedisStore implements Store, StoreConnection {
  readonly history: ChatHistory;
  readonly uniques: UniqueCounter;
  readonly stats: StreamStats;
  readonly leases: Leases;
  readonly moderation: ModerationStore;
  readonly schedules: ScheduleStore;
  readonly liveState: LiveStateStore;
  readonly qa: QaStore;
  // Polls
  readonly polls: PollStore;
  /** The key scheme in use, for operators' tools and tests. */
  readonly keys: Keys;
  readonly #redis: RedisClient;
  #outageReported = false;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    if (typeof options.url !== 'string' || options.url === '') {
      throw new Error('RedisStoreOptions.url must be a redis:// URL');
    }
    const historyCapacity = positiveInteger('historyCapacity', options.historyCapacity);
    const option = <K extends keyof typeof optionDefaults>(name: K): number =>
      positiveInteger(name, options[name] ?? optionDefaults[name]);
    const commandTimeoutMs = option('commandTimeoutMs');
    const totalsTtlSeconds = option('totalsTtlSeconds');
    const streamStateTtlSeconds = option('streamStateTtlSeconds');
    const auditCapacity = option('auditCapacity');
    const heldCapacity = option('heldCapacity');
    this.keys = new Keys(options.prefix ?? 'roar');
    const onConnectionError = options.onConnectionError ?? warnConnectionError;

    const redis = connect(options.url, commandTimeoutMs);
    // Without a listener, ioredis's connection errors would be unhandled and crash the process.
    redis.on('error', (error: Error) => {
      if (this.#outageReported || this.#closed) return;
      this.#outageReported = true;
      onConnectionError(error);
    });
    redis.on('ready', () => {
      this.#outageReported = false;
    });
    if (redis instanceof Cluster) {
      // A master's death is a node error, not the cluster's: the cluster stays ready, its other
      // slots keep working. Reported like an outage, until a slot map is read again.
      redis.on('node error', (error: Error, address: string) => {
        if (this.#outageReported || this.#closed) return;
        this.#outageReported = true;
        onConnectionError(new Error(`cluster node ${address}: ${error.message}`, { cause: error }));
      });
      redis.on('refresh', () => {
        this.#outageReported = false;
      });
    }
    this.#redis = redis;

    // The cast names what `scripts` just defined; ioredis types cannot see them.
    const scripted = redis as RedisClient &
      StreamStateScriptCommands &
      LeaseScriptCommands &
      ModerationScriptCommands &
      LiveStateScriptCommands &
      QaScriptCommands &
      PollScriptCommands;
    const backend = {
      redis: scripted,
      keys: this.keys,
      historyCapacity,
      totalsTtlSeconds,
      streamStateTtlSeconds,
    };
    this.history = new RedisHistory(backend);
    this.uniques = new RedisUniques(backend);
    this.stats = new RedisStats(backend);
    this.leases = new RedisLeases({ redis: scripted, keys: this.keys });
    this.moderation = createRedisModeration({
      redis: scripted,
      keys: this.keys,
      auditCapacity,
      heldCapacity,
      heldTtlSeconds: streamStateTtlSeconds,
    });
    this.schedules = new RedisSchedules(redis, this.keys);
    this.liveState = new RedisLiveState({
      redis: scripted,
      keys: this.keys,
      streamStateTtlSeconds,
    });
    this.qa = new RedisQa({ redis: scripted, keys: this.keys, ttlSeconds: streamStateTtlSeconds });
    // Polls
    this.polls = new RedisPolls({
      redis: scripted,
      keys: this.keys,
      ttlSeconds: streamStateTtlSeconds,
    });
  }

  /** True while commands can reach Redis; for health checks. */
  get connected(): boolean {
    if (this.#closed || this.#redis.status !== 'ready') return false;
    // Once the server has hung up, ioredis refuses commands (the socket is no longer writable)
    // but says `ready` until its socket's close event, a later turn of the loop, later still on
    // a busy machine (seen in CI: every call refused, `ready` still).
    if (this.#redis instanceof Cluster) return true;
    return this.#redis.stream.writable;
  }

  /**
   * Resolves once Redis is reachable; rejects with `StoreUnavailableError` when it is not within
   * `timeoutMs`. Calls made before then fail rather than wait, so a service awaits this at start.
   */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError('ready', new Error('closed')));
    }
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#redis.off('ready', onReady);
        reject(
          new StoreUnavailableError('ready', new Error(`not connected within ${timeoutMs} ms`)),
        );
      }, timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  onReady(listener: () => void): () => void {
    this.#redis.on('ready', listener);
    return () => this.#redis.off('ready', listener);
  }

  /** Closes the connection and stops reconnecting; later calls reject with `StoreUnavailableError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redis.status === 'ready') {
      // QUIT lets replies already on their way arrive; if it fails, the socket is gone anyway.
      await this.#redis.quit().catch(() => this.#redis.disconnect());
    } else {
      this.#redis.disconnect();
    }
  }
}

/** A `Store` on Redis; see `RedisStore` for what happens when Redis is down. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
