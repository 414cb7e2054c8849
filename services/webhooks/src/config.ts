import {
  ConfigError,
  EnvReader,
  parseApiKeys,
  readSharedSettings,
  type ApiKey,
  type Env,
  type SharedSettings,
} from '@roar/runtime';
import type { DispatchOptions } from './dispatcher.js';
import { EndpointError, parseEndpoints, type WebhookEndpoint } from './endpoints.js';

/** Everything the webhook process can be told, validated at start (docs/configuration.md). */
export interface WebhooksConfig extends SharedSettings {
  endpoints: WebhookEndpoint[];
  dispatch: DispatchOptions;
  /** JetStream's redelivery timer for a batch in hand; longer than its whole retry schedule. */
  ackWaitMs: number;
  deadLetterMax: number;
  /** Where the admin API, /healthz and /metrics listen. */
  host: string;
  port: number;
  adminApiKeys: ApiKey[];
}

/** Reads and checks the configuration; throws `ConfigError` naming the first bad variable. */
export function loadWebhooksConfig(source: Env = process.env): WebhooksConfig {
  const env = new EnvReader(source);
  const shared = readSharedSettings(env);
  const allowHttp = env.bool('ROAR_WEBHOOK_ALLOW_HTTP', false);
  const endpoints = parse('ROAR_WEBHOOK_ENDPOINTS', () =>
    parseEndpoints(JSON.parse(env.optionalString('ROAR_WEBHOOK_ENDPOINTS') ?? '[]'), allowHttp),
  );
  const dispatch: DispatchOptions = {
    maxBatch: env.int('ROAR_WEBHOOK_MAX_BATCH', 500, 1, 10_000),
    waitMs: env.int('ROAR_WEBHOOK_WAIT_MS', 1000, 1000, 60_000),
    minIntervalMs: env.int('ROAR_WEBHOOK_MIN_INTERVAL_MS', 100, 0, 60_000),
    timeoutMs: env.int('ROAR_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    maxAttempts: env.int('ROAR_WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
    backoffBaseMs: env.int('ROAR_WEBHOOK_BACKOFF_MS', 1000, 10, 600_000),
    backoffMaxMs: env.int('ROAR_WEBHOOK_BACKOFF_MAX_MS', 60_000, 10, 3_600_000),
  };
  const config: WebhooksConfig = {
    ...shared,
    endpoints,
    dispatch,
    ackWaitMs: env.int('ROAR_WEBHOOK_ACK_WAIT_MS', 30 * 60_000, 1000, 24 * 3_600_000),
    deadLetterMax: env.int('ROAR_WEBHOOK_DEAD_LETTER_MAX', 1000, 1, 1_000_000),
    host: env.string('ROAR_WEBHOOK_HOST', '127.0.0.1'),
    port: env.int('ROAR_WEBHOOK_PORT', 9092, 0, 65535),
    adminApiKeys: parse('ROAR_ADMIN_API_KEYS', () =>
      parseApiKeys(env.optionalString('ROAR_ADMIN_API_KEYS')),
    ),
  };
  const span = retrySpanMs(dispatch);
  if (config.ackWaitMs <= span) {
    throw new ConfigError(
      `ROAR_WEBHOOK_ACK_WAIT_MS (${config.ackWaitMs}) must exceed one batch's whole retry ` +
        `schedule (${span} ms: ROAR_WEBHOOK_MAX_ATTEMPTS, _TIMEOUT_MS, _BACKOFF_MS, _BACKOFF_MAX_MS)`,
    );
  }
  env.rejectUnknown('ROAR_');
  return config;
}

/** The longest one batch can be held: every attempt timing out, every backoff at its longest. */
export function retrySpanMs(d: DispatchOptions): number {
  let span = d.maxAttempts * d.timeoutMs;
  for (let a = 1; a < d.maxAttempts; a++)
    span += Math.min(d.backoffMaxMs, d.backoffBaseMs * 2 ** (a - 1));
  return span;
}

function parse<T>(variable: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof EndpointError || error instanceof SyntaxError)
      throw new ConfigError(`${variable}: ${error.message}`);
    throw new ConfigError(error instanceof Error ? error.message : `${variable} is malformed`);
  }
}
