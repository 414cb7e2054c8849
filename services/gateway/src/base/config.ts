import { availableParallelism } from 'node:os';
import { checkGatewayConfig } from './config-checks.js';
import type { GatewayConfig, Mode } from './gateway-config.js';
import { parseAllowedOrigins } from './origins.js';
import { readHooksConfig } from './hooks-config.js';
import { readWebhookSettings } from '@roar/webhooks';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  EnvReader,
  parseApiKeys,
  readEventLogSettings,
  readSharedSettings,
  type Env,
} from '@roar/runtime';

export type { GatewayConfig, Mode } from './gateway-config.js';

export const DEFAULT_REACTIONS = ['👏', '🔥', '😂', '😮', '😢', '❤️', '🎉'];

/** Reads and checks the configuration; throws `ConfigError` naming the first bad variable. */
export function loadGatewayConfig(source: Env = process.env): GatewayConfig {
  const env = new EnvReader(source);
  const mode = env.oneOf<Mode>('ROAR_MODE', 'embedded', ['embedded', 'gateway']);
  const tickMs = env.int('ROAR_TICK_MS', 50, 5, 1000);
  const base = {
    ...readSharedSettings(env, tickMs),
    mode,
    // The memory bus cannot cross threads, so embedded mode is one shard.
    workers: env.int('ROAR_WORKERS', mode === 'embedded' ? 1 : availableParallelism(), 1, 256),
    workerBus: env.oneOf<'shared' | 'own'>('ROAR_WORKER_BUS', 'shared', ['shared', 'own']),
    host: env.string('ROAR_HOST', '127.0.0.1'),
    port: env.int('ROAR_PORT', 8080, 0, 65535),
    // Random, not host and pid: the id is a metrics label, and /metrics may be read by others.
    gatewayId: env.string(
      'ROAR_GATEWAY_ID',
      `gw-${randomBytes(6).toString('hex')}`,
      /^[A-Za-z0-9_-]{1,64}$/,
    ),

    tickMs,
    // Embedded mode keeps its log in memory; a cluster's log is JetStream, when turned on.
    eventLog: readEventLogSettings(env, mode === 'embedded' ? 'memory' : 'off'),
    historyOnJoin: env.int('ROAR_HISTORY_ON_JOIN', 50, 0, 500),
    historyCapacity: env.int('ROAR_HISTORY_CAPACITY', 200, 1, 10_000),
    historyRetry: env.int('ROAR_HISTORY_RETRY', 1000, 0, 100_000),
    maxStreamsPerConnection: env.int('ROAR_MAX_STREAMS_PER_CONNECTION', 10, 1, 100),
    streamLingerMs: env.int('ROAR_STREAM_LINGER_MS', 5000, 0, 600_000),
    viewersMaxAgeS: env.int('ROAR_VIEWERS_MAX_AGE_S', 1, 0, 3600),

    moderationRefreshMs: env.int('ROAR_MODERATION_REFRESH_MS', 60_000, 1000, 3_600_000),
    moderationRetryMs: env.int('ROAR_MODERATION_RETRY_MS', 1000, 50, 60_000),
    // Embedded mode owns its memory store: there is nobody who could restore it.
    freshStoreGraceMs: env.int(
      'ROAR_MODERATION_FRESH_STORE_GRACE_MS',
      mode === 'embedded' ? 0 : 5000,
      0,
      600_000,
    ),

    chatRatePerS: env.number('ROAR_CHAT_RATE', 1, 0.01, 1000),
    chatBurst: env.int('ROAR_CHAT_BURST', 3, 1, 1000),
    reactionRatePerS: env.number('ROAR_REACTION_RATE', 5, 0.01, 1000),
    reactionBurst: env.int('ROAR_REACTION_BURST', 10, 1, 1000),
    frameRatePerS: env.number('ROAR_FRAME_RATE', 20, 1, 10_000),
    frameBurst: env.int('ROAR_FRAME_BURST', 40, 1, 10_000),
    reactions: env.list('ROAR_REACTIONS', DEFAULT_REACTIONS),
    // Polls
    pollFlushMs: env.int('ROAR_POLL_FLUSH_MS', 250, 20, 5000),
    pollResultsMs: env.int('ROAR_POLL_RESULTS_MS', 1000, 100, 60_000),
    pollGraceMs: env.int('ROAR_POLL_GRACE_MS', 1000, 100, 60_000),

    allowAnonymous: env.bool('ROAR_ALLOW_ANONYMOUS', true),
    anonymousChat: env.bool('ROAR_ANONYMOUS_CHAT', false),
    anonymousReactions: env.bool('ROAR_ANONYMOUS_REACTIONS', false),
    uniquesInReports: env.bool('ROAR_UNIQUES_IN_REPORTS', false),
    jwtSecret: env.optionalString('ROAR_JWT_SECRET'),
    jwtPublicKey: env.optionalString('ROAR_JWT_PUBLIC_KEY'),
    jwtJwksUrl: env.optionalString('ROAR_JWT_JWKS_URL'),
    jwtIssuer: env.optionalString('ROAR_JWT_ISSUER'),
    jwtAudience: env.optionalString('ROAR_JWT_AUDIENCE'),
    jwtMaxLifetimeS: env.int('ROAR_JWT_MAX_LIFETIME_S', 86_400, 60, 31_536_000),
    devLogin: false,
    devLoginRoles: env.oneOf('ROAR_DEV_LOGIN_ROLES', 'demo', ['demo', 'any']),
    anonIdSecret: env.optionalString('ROAR_ANON_ID_SECRET'),
    anonIdsPerIp: env.int('ROAR_ANON_IDS_PER_IP', 32, 1, 1_000_000),
    metricsToken: env.optionalString('ROAR_METRICS_TOKEN'),

    maxPayloadBytes: env.int('ROAR_MAX_PAYLOAD_BYTES', 4096, 512, 1 << 20),
    idleTimeoutS: env.int('ROAR_IDLE_TIMEOUT_S', 60, 8, 960),

    chatBudgetPerS: env.number('ROAR_CHAT_BUDGET', 25, 1, 1000),
    stormTickMs: env.int('ROAR_STORM_TICK_MS', 500, tickMs, 5000),
    fanoutSliceSockets: env.int('ROAR_FANOUT_SLICE', 2000, 1, 1_000_000),
    softBackpressureBytes: env.int('ROAR_SOFT_BACKPRESSURE_BYTES', 256 << 10, 4 << 10, 64 << 20),
    maxBackpressureBytes: env.int('ROAR_MAX_BACKPRESSURE_BYTES', 1 << 20, 16 << 10, 256 << 20),
    slowClientMaxMs: env.int('ROAR_SLOW_CLIENT_MAX_MS', 10_000, 100, 600_000),
    slowCloseLingerMs: env.int('ROAR_SLOW_CLOSE_LINGER_MS', 360_000, 0, 3_600_000),
    admissionRatePerS: env.number('ROAR_ADMISSION_RATE', 1000, 1, 1_000_000),
    admissionBurst: env.int('ROAR_ADMISSION_BURST', 2000, 1, 1_000_000),
    maxConnectionsPerIp: env.int('ROAR_MAX_CONNECTIONS_PER_IP', 1000, 1, 10_000_000),
    trustedProxies: env.list('ROAR_TRUSTED_PROXIES', []),
    retryAfterS: env.int('ROAR_RETRY_AFTER_S', 2, 1, 3600),
    admissionTicketSecret: env.optionalString('ROAR_ADMISSION_TICKET_SECRET'),
    admissionTicketWindowS: env.int('ROAR_ADMISSION_TICKET_WINDOW_S', 30, 5, 3600),
    scheduleWarmLeadMs: env.int('ROAR_SCHEDULE_WARM_LEAD_S', 1800, 0, 43_200) * 1000,
    scheduleScaleLeadMs: env.int('ROAR_SCHEDULE_SCALE_LEAD_S', 600, 0, 43_200) * 1000,
    scheduleViewersPerGateway: env.int('ROAR_SCHEDULE_VIEWERS_PER_GATEWAY', 19_000, 1, 10_000_000),
    drainWindowMs: env.int('ROAR_DRAIN_WINDOW_MS', 10_000, 0, 600_000),
    // Fanout holds the loop for one slice at a time (20–40 ms); 500 ms means the loop is behind.
    ladderLoopDelayMs: env.int('ROAR_LADDER_LOOP_DELAY_MS', 500, 1, 60_000),
    ladderBufferedBytes: env.int('ROAR_LADDER_BUFFERED_BYTES', 512 << 20, 1 << 20, 64 << 30),
    ladderCpu: env.number('ROAR_LADDER_CPU', 0.9, 0.05, 64),
    ladderFanoutMs: env.int('ROAR_LADDER_FANOUT_MS', 1000, 1, 600_000),
    ladderUpMs: env.int('ROAR_LADDER_UP_MS', 2000, 0, 600_000),
    ladderDownMs: env.int('ROAR_LADDER_DOWN_MS', 15_000, 0, 3_600_000),

    // Q&A (issue 14; features/qa)
    qaTopN: env.int('ROAR_QA_TOP_N', 20, 1, 100),
    qaBoardIntervalMs: env.int('ROAR_QA_BOARD_MS', 1000, 100, 60_000),
    qaAskIntervalMs: env.int('ROAR_QA_ASK_INTERVAL_MS', 60_000, 0, 3_600_000),
    qaUpvoteFlushMs: env.int('ROAR_QA_UPVOTE_FLUSH_MS', 100, 5, 5000),
    qaUpvoteRatePerS: env.number('ROAR_QA_UPVOTE_RATE', 5, 0.01, 1000),
    qaUpvoteBurst: env.int('ROAR_QA_UPVOTE_BURST', 20, 1, 1000),
  };
  const allowedOrigins = parsed('ROAR_ALLOWED_ORIGINS', () =>
    parseAllowedOrigins(env.optionalString('ROAR_ALLOWED_ORIGINS')),
  );
  const adminApiKeys = parsed('ROAR_ADMIN_API_KEYS', () =>
    parseApiKeys(env.optionalString('ROAR_ADMIN_API_KEYS')),
  );
  const hooks = readHooksConfig(env);
  const webhooks = readWebhookSettings(env);
  const tracing = env.oneOf('ROAR_TRACING', 'off', ['off', 'otlp']);
  const otlpEndpoint = env.string('ROAR_OTLP_ENDPOINT', 'http://127.0.0.1:4318/v1/traces');
  const traceSampleRatio = env.number('ROAR_TRACE_SAMPLE', 1, 0, 1);
  if (!/^https?:\/\//.test(otlpEndpoint)) {
    throw new ConfigError(`ROAR_OTLP_ENDPOINT must be an http(s) URL (got "${otlpEndpoint}")`);
  }
  const config: GatewayConfig = {
    ...base,
    allowedOrigins,
    adminApiKeys,
    hooks,
    webhooks,
    tracing,
    otlpEndpoint,
    traceSampleRatio,
    // Per worker; the open-file limit (about 20,000 here) is per process, shared by the workers.
    maxConnections: env.int(
      'ROAR_MAX_CONNECTIONS',
      Math.floor(19_000 / base.workers),
      1,
      10_000_000,
    ),
    pinnedLevel:
      env.optionalString('ROAR_LEVEL') === undefined ? undefined : env.int('ROAR_LEVEL', 0, 0, 5),
  };
  checkGatewayConfig(env, config);
  env.rejectUnknown('ROAR_');
  return config;
}

/** A value parsed by `parse`, whose error (naming the variable) becomes a `ConfigError`. */
function parsed<T>(variable: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : `${variable} is malformed`);
  }
}
