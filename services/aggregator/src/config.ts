import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ConfigError,
  EnvReader,
  readEventLogSettings,
  readSharedSettings,
  type Env,
  type EventLogSettings,
  type SharedSettings,
} from '@roar/runtime';

/**
 * Everything an aggregator can be told, validated at start. The shared settings (partitions,
 * intervals, prefix, NATS and Redis URLs) are read exactly as the gateways read them.
 */
export interface AggregatorConfig extends SharedSettings {
  /** Lease owner and NATS connection name; unique per process. */
  aggregatorId: string;
  /** Most partitions this instance holds; below `partitions`, instances split the work. */
  maxPartitions: number;
  /** Lease lifetime: how long a crashed owner blocks its standby at most. */
  leaseTtlMs: number;
  /** A gateway silent for this many of its report intervals is dropped from the sums. */
  expiryIntervals: number;
  /** Where /healthz, /readyz and /metrics listen. */
  host: string;
  /** 0 picks a free port (tests); the bound one is logged. */
  port: number;
  /** Where reaction bursts and viewer samples are appended (`jetstream` or `off`). */
  eventLog: EventLogSettings;
  /** With `chatRelay`: ordinary chat messages forwarded per stream per second. */
  chatRelayRatePerS: number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function defaultId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 32);
  return `agg-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Reads and checks the configuration; throws `ConfigError` naming the first bad variable. */
export function loadAggregatorConfig(source: Env = process.env): AggregatorConfig {
  const env = new EnvReader(source);
  const shared = readSharedSettings(env);
  const config: AggregatorConfig = {
    ...shared,
    aggregatorId: env.string('ROAR_AGG_ID', defaultId(), ID_PATTERN),
    maxPartitions: env.int('ROAR_AGG_MAX_PARTITIONS', shared.partitions, 1, shared.partitions),
    leaseTtlMs: env.int('ROAR_AGG_LEASE_TTL_MS', 3000, 100, 600_000),
    // One interval would expire a gateway whose report is merely a little late.
    expiryIntervals: env.int('ROAR_AGG_EXPIRY_INTERVALS', 3, 2, 100),
    host: env.string('ROAR_AGG_HOST', '127.0.0.1'),
    port: env.int('ROAR_AGG_PORT', 9091, 0, 65535),
    eventLog: readEventLogSettings(env, 'off'),
    // Twice the default per-viewer budget (ROAR_CHAT_BUDGET, 25): every gateway still samples.
    chatRelayRatePerS: env.number('ROAR_CHAT_RELAY_RATE', 50, 1, 100_000),
  };
  if (config.eventLog.driver === 'memory') {
    throw new ConfigError('ROAR_LOG=memory works in embedded mode only; use jetstream or off');
  }
  // A takeover waits for the gateways' stream lists (a few report intervals) anyway, so a shorter
  // lease cannot make it faster; it only adds Redis round trips and lets a slow renewal flap.
  if (config.leaseTtlMs < 2 * config.reportIntervalMs) {
    throw new ConfigError(
      `ROAR_AGG_LEASE_TTL_MS must be at least 2 × ROAR_REPORT_INTERVAL_MS ` +
        `(${2 * config.reportIntervalMs}), got ${config.leaseTtlMs}`,
    );
  }
  env.rejectUnknown('ROAR_');
  return config;
}
