import type { EnvReader } from './env.js';
import type { LogLevel } from './log.js';

/**
 * Settings every Roar process of one deployment must agree on (gateways and aggregators), read
 * in one place so their names and defaults cannot drift apart. docs/configuration.md lists them.
 */
export interface SharedSettings {
  logLevel: LogLevel;
  natsUrl: string;
  redisUrl: string;
  /** Prefix of every NATS subject and Redis key. */
  prefix: string;
  /** Aggregator partitions; streams are spread over them by hash. */
  partitions: number;
  /** How often gateways report their counts. */
  reportIntervalMs: number;
  /** Most one viewer-count push per stream per this long. */
  countIntervalMs: number;
  /** Reactions are summed and sent as one burst per this window. */
  reactionWindowMs: number;
  /** A stream's chat history, uniques and held messages outlive their last write by this long. */
  streamStateTtlS: number;
  /**
   * Sampling at the source: gateways send accepted chat to the relay of its partition's owner,
   * which forwards at most `ROAR_CHAT_RELAY_RATE` a second per stream to the gateways.
   */
  chatRelay: boolean;
  /** A relay silent this long is given up on (chat goes out directly); also the relay's max age. */
  chatRelayTimeoutMs: number;
}

export function readSharedSettings(env: EnvReader, minWindowMs = 10): SharedSettings {
  return {
    logLevel: env.oneOf<LogLevel>('ROAR_LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error']),
    natsUrl: env.string('ROAR_NATS_URL', 'nats://127.0.0.1:4222'),
    redisUrl: env.string('ROAR_REDIS_URL', 'redis://127.0.0.1:6379'),
    prefix: env.string('ROAR_PREFIX', 'roar', /^[A-Za-z0-9_-]{1,32}$/),
    partitions: env.int('ROAR_AGG_PARTITIONS', 1, 1, 1024),
    reportIntervalMs: env.int('ROAR_REPORT_INTERVAL_MS', 1000, 100, 60_000),
    countIntervalMs: env.int('ROAR_COUNT_INTERVAL_MS', 1000, minWindowMs, 60_000),
    reactionWindowMs: env.int('ROAR_REACTION_WINDOW_MS', 250, minWindowMs, 10_000),
    streamStateTtlS: env.int('ROAR_STREAM_STATE_TTL_S', 7 * 86_400, 60, 366 * 86_400),
    chatRelay: env.bool('ROAR_CHAT_RELAY', false),
    chatRelayTimeoutMs: env.int('ROAR_CHAT_RELAY_TIMEOUT_MS', 1000, 100, 60_000),
  };
}

/** Where a process appends the durable event log (docs/configuration.md, "Event log"). */
export interface EventLogSettings {
  /** `off`, `memory` (embedded mode only) or `jetstream` (NATS JetStream at `natsUrl`). */
  driver: 'off' | 'memory' | 'jetstream';
  /** Events are kept this long (seconds). */
  maxAgeS: number;
  /** The log holds at most this many MiB; the oldest events go first. */
  maxMb: number;
  /** The aggregator appends each live stream's viewer figures this often (ms). */
  sampleIntervalMs: number;
  /**
   * Copies of the JetStream stream in a NATS cluster (1–5; more than 1 needs a cluster of at
   * least that many JetStream servers). Applied to an existing stream too, by every process.
   */
  replicas: number;
}

/** The event log's settings; `defaultDriver` differs by process kind (embedded: memory). */
export function readEventLogSettings(
  env: EnvReader,
  defaultDriver: EventLogSettings['driver'],
): EventLogSettings {
  return {
    driver: env.oneOf('ROAR_LOG', defaultDriver, ['off', 'memory', 'jetstream']),
    maxAgeS: env.int('ROAR_LOG_MAX_AGE_S', 7 * 86_400, 60, 366 * 86_400),
    maxMb: env.int('ROAR_LOG_MAX_MB', 1024, 1, 16 << 20),
    sampleIntervalMs: env.int('ROAR_LOG_SAMPLE_MS', 10_000, 1000, 3_600_000),
    // JetStream's own bound: a stream has at most 5 replicas.
    replicas: env.int('ROAR_LOG_REPLICAS', 1, 1, 5),
  };
}
