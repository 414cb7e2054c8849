import { ConfigError, type EnvReader } from '@roar/runtime';
import type { DispatchOptions } from './dispatcher.js';
import { EndpointError, parseEndpoints, type WebhookEndpoint } from './endpoints.js';

/**
 * The webhook settings (`ROAR_WEBHOOK_*`, docs/configuration.md "Webhooks"), read the same way by
 * the webhook process and by embedded mode, which runs the same dispatchers in-process.
 */
export interface WebhookSettings {
  endpoints: WebhookEndpoint[];
  dispatch: DispatchOptions;
  /** JetStream's redelivery timer for a batch in hand; longer than its whole retry schedule. */
  ackWaitMs: number;
  deadLetterMax: number;
  /** Copies of the dead-letter stream in a JetStream cluster (the webhook process only). */
  deadLetterReplicas: number;
  /** Where the webhook admin API, /healthz and /metrics listen. */
  host: string;
  port: number;
}

/** Reads `ROAR_WEBHOOK_*`; throws `ConfigError` naming the first bad variable. */
export function readWebhookSettings(env: EnvReader): WebhookSettings {
  const allowHttp = env.bool('ROAR_WEBHOOK_ALLOW_HTTP', false);
  let endpoints: WebhookEndpoint[];
  try {
    endpoints = parseEndpoints(
      JSON.parse(env.optionalString('ROAR_WEBHOOK_ENDPOINTS') ?? '[]'),
      allowHttp,
    );
  } catch (error) {
    if (!(error instanceof EndpointError || error instanceof SyntaxError)) throw error;
    throw new ConfigError(`ROAR_WEBHOOK_ENDPOINTS: ${error.message}`);
  }
  const dispatch: DispatchOptions = {
    maxBatch: env.int('ROAR_WEBHOOK_MAX_BATCH', 500, 1, 10_000),
    waitMs: env.int('ROAR_WEBHOOK_WAIT_MS', 1000, 1000, 60_000),
    minIntervalMs: env.int('ROAR_WEBHOOK_MIN_INTERVAL_MS', 100, 0, 60_000),
    timeoutMs: env.int('ROAR_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    maxAttempts: env.int('ROAR_WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
    backoffBaseMs: env.int('ROAR_WEBHOOK_BACKOFF_MS', 1000, 10, 600_000),
    backoffMaxMs: env.int('ROAR_WEBHOOK_BACKOFF_MAX_MS', 60_000, 10, 3_600_000),
  };
  const settings: WebhookSettings = {
    endpoints,
    dispatch,
    ackWaitMs: env.int('ROAR_WEBHOOK_ACK_WAIT_MS', 30 * 60_000, 1000, 24 * 3_600_000),
    deadLetterMax: env.int('ROAR_WEBHOOK_DEAD_LETTER_MAX', 1000, 1, 1_000_000),
    // JetStream's own bound: a stream has at most 5 replicas.
    deadLetterReplicas: env.int('ROAR_WEBHOOK_DEAD_REPLICAS', 1, 1, 5),
    host: env.string('ROAR_WEBHOOK_HOST', '127.0.0.1'),
    port: env.int('ROAR_WEBHOOK_PORT', 9092, 0, 65535),
  };
  const span = retrySpanMs(dispatch);
  if (settings.ackWaitMs <= span) {
    throw new ConfigError(
      `ROAR_WEBHOOK_ACK_WAIT_MS (${settings.ackWaitMs}) must exceed one batch's whole retry ` +
        `schedule (${span} ms: ROAR_WEBHOOK_MAX_ATTEMPTS, _TIMEOUT_MS, _BACKOFF_MS, _BACKOFF_MAX_MS)`,
    );
  }
  return settings;
}

/** The longest one batch can be held: every attempt timing out, every backoff at its longest. */
export function retrySpanMs(d: DispatchOptions): number {
  let span = d.maxAttempts * d.timeoutMs;
  for (let a = 1; a < d.maxAttempts; a++)
    span += Math.min(d.backoffMaxMs, d.backoffBaseMs * 2 ** (a - 1));
  return span;
}
