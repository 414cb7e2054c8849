import { availableParallelism } from 'node:os';
import { invalidProxyEntries } from './client-address.js';
import { parseApiKeys, type ApiKey } from './api-keys.js';
import { parseAllowedOrigins, type AllowedOrigins } from './origins.js';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  EnvReader,
  readSharedSettings,
  type Env,
  type SharedSettings,
} from '@roar/runtime';

export type Mode = 'embedded' | 'gateway';

/** Everything a gateway can be told, validated at start. docs/configuration.md lists each one. */
export interface GatewayConfig extends SharedSettings {
  mode: Mode;
  /** Gateway shards (worker threads) in this process, all on one port. */
  workers: number;
  host: string;
  port: number;
  gatewayId: string;

  tickMs: number;
  historyOnJoin: number;
  historyCapacity: number;
  /** Most chat messages per stream kept to retry after failed history writes. */
  historyRetry: number;
  maxStreamsPerConnection: number;
  streamLingerMs: number;
  viewersMaxAgeS: number;

  /** Every held stream's rules and the global bans are reloaded from the store this often. */
  moderationRefreshMs: number;
  /** Failed moderation loads are retried, and the store's generation checked, this often. */
  moderationRetryMs: number;
  /** A gateway that finds the store empty waits this long for peers to restore its moderation. */
  freshStoreGraceMs: number;

  chatRatePerS: number;
  chatBurst: number;
  reactionRatePerS: number;
  reactionBurst: number;
  frameRatePerS: number;
  frameBurst: number;
  reactions: string[];

  allowAnonymous: boolean;
  anonymousChat: boolean;
  anonymousReactions: boolean;
  /**
   * Identities also travel in count reports, for an aggregator whose unique counter is in another
   * Redis (the gateways of the standby region of two; docs/architecture.md, "Two regions").
   */
  uniquesInReports: boolean;
  jwtSecret: string | undefined;
  jwtPublicKey: string | undefined;
  jwtJwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** Longest token lifetime accepted (`exp` required; `exp - iat` and `exp - now` at most this). */
  jwtMaxLifetimeS: number;
  /** `POST /dev/token` mounted: development on loopback only, never with a key configured. */
  devLogin: boolean;
  /** What dev login may mint: the demo page's stream-scoped roles, or any role (`any`). */
  devLoginRoles: 'demo' | 'any';
  /** Secret the shown ids of anonymous viewers are derived with (HMAC); see anonymous.ts. */
  anonIdSecret: string | undefined;
  /** Distinct anonymous identities one address may have counted; the rest share one. */
  anonIdsPerIp: number;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Browser origins allowed besides the server's own (see `origins.ts`); undefined: as before. */
  allowedOrigins: AllowedOrigins;

  maxPayloadBytes: number;
  idleTimeoutS: number;

  /** Chat messages per second a viewer receives per stream before sampling. */
  chatBudgetPerS: number;
  /** While a stream's chat is sampled, its frames go out at most this often. */
  stormTickMs: number;
  /**
   * Sockets per slice of a stream, and written per event-loop turn at most. One uWS publish to
   * 19k sockets blocks the loop for 150–350 ms here (8–20 µs a write); in slices of 2,000 a big
   * stream's frame goes out over turns of 20–40 ms, with new connections, acks and pings served
   * in between.
   */
  fanoutSliceSockets: number;
  softBackpressureBytes: number;
  maxBackpressureBytes: number;
  slowClientMaxMs: number;
  /** How long a slow consumer's address keeps its per-IP slot after the gateway aborts it. */
  slowCloseLingerMs: number;
  admissionRatePerS: number;
  admissionBurst: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Proxies whose X-Forwarded-For names the client (addresses or CIDR ranges). */
  trustedProxies: string[];
  retryAfterS: number;
  drainWindowMs: number;
  ladderLoopDelayMs: number;
  ladderBufferedBytes: number;
  ladderCpu: number;
  ladderUpMs: number;
  ladderDownMs: number;
  /** A degradation level to hold from the start (operators and tests); undefined = measured. */
  pinnedLevel: number | undefined;

  /** Admin API keys (`name:key` pairs). */
  adminApiKeys: ApiKey[];
  /** Before-publish check of viewers' messages: off, built-in rules, or a webhook. */
  automod: 'off' | 'rules' | 'webhook';
  automodUrl: string | undefined;
  automodTimeoutMs: number;
  automodFail: 'open' | 'closed';

  /** OpenTelemetry traces (admin API calls, chat across gateways): off, or OTLP over HTTP. */
  tracing: 'off' | 'otlp';
  /** Where spans go: an OTLP/HTTP traces endpoint. */
  otlpEndpoint: string;
  /** Fraction of traces started here that are kept (a caller's sampled flag is followed). */
  traceSampleRatio: number;
}

export const DEFAULT_REACTIONS = ['👏', '🔥', '😂', '😮', '😢', '❤️', '🎉'];

/** Reads and checks the configuration; throws `ConfigError` naming the first bad variable. */
export function loadGatewayConfig(source: Env = process.env): GatewayConfig {
  const env = new EnvReader(source);
  const mode = env.oneOf<Mode>('ROAR_MODE', 'embedded', ['embedded', 'gateway']);
  const tickMs = env.int('ROAR_TICK_MS', 50, 5, 1000);
  const config: GatewayConfig = {
    ...readSharedSettings(env, tickMs),
    mode,
    // The memory bus cannot cross threads, so embedded mode is one shard.
    workers: env.int('ROAR_WORKERS', mode === 'embedded' ? 1 : availableParallelism(), 1, 256),
    host: env.string('ROAR_HOST', '127.0.0.1'),
    port: env.int('ROAR_PORT', 8080, 0, 65535),
    // Random, not host and pid: the id is a metrics label, and /metrics may be read by others.
    gatewayId: env.string(
      'ROAR_GATEWAY_ID',
      `gw-${randomBytes(6).toString('hex')}`,
      /^[A-Za-z0-9_-]{1,64}$/,
    ),

    tickMs,
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
    maxConnections: 0,
    maxConnectionsPerIp: env.int('ROAR_MAX_CONNECTIONS_PER_IP', 1000, 1, 10_000_000),
    trustedProxies: env.list('ROAR_TRUSTED_PROXIES', []),
    retryAfterS: env.int('ROAR_RETRY_AFTER_S', 2, 1, 3600),
    drainWindowMs: env.int('ROAR_DRAIN_WINDOW_MS', 10_000, 0, 600_000),
    // Fanout holds the loop for one slice at a time (20–40 ms); 500 ms means the loop is behind.
    ladderLoopDelayMs: env.int('ROAR_LADDER_LOOP_DELAY_MS', 500, 1, 60_000),
    ladderBufferedBytes: env.int('ROAR_LADDER_BUFFERED_BYTES', 512 << 20, 1 << 20, 64 << 30),
    ladderCpu: env.number('ROAR_LADDER_CPU', 0.9, 0.05, 64),
    ladderUpMs: env.int('ROAR_LADDER_UP_MS', 2000, 0, 600_000),
    ladderDownMs: env.int('ROAR_LADDER_DOWN_MS', 15_000, 0, 3_600_000),
    pinnedLevel: undefined,
    adminApiKeys: [],
    automod: 'off',
    automodUrl: undefined,
    automodTimeoutMs: 200,
    automodFail: 'open',
    allowedOrigins: undefined,
    tracing: 'off',
    otlpEndpoint: '',
    traceSampleRatio: 1,
  };
  try {
    config.allowedOrigins = parseAllowedOrigins(env.optionalString('ROAR_ALLOWED_ORIGINS'));
  } catch (error) {
    throw new ConfigError(
      error instanceof Error ? error.message : 'ROAR_ALLOWED_ORIGINS is malformed',
    );
  }
  try {
    config.adminApiKeys = parseApiKeys(env.optionalString('ROAR_ADMIN_API_KEYS'));
  } catch (error) {
    throw new ConfigError(
      error instanceof Error ? error.message : 'ROAR_ADMIN_API_KEYS is malformed',
    );
  }
  config.automod = env.oneOf('ROAR_AUTOMOD', 'off', ['off', 'rules', 'webhook']);
  config.automodUrl = env.optionalString('ROAR_AUTOMOD_URL');
  config.automodTimeoutMs = env.int('ROAR_AUTOMOD_TIMEOUT_MS', 200, 10, 10_000);
  config.automodFail = env.oneOf('ROAR_AUTOMOD_FAIL', 'open', ['open', 'closed']);
  config.tracing = env.oneOf('ROAR_TRACING', 'off', ['off', 'otlp']);
  config.otlpEndpoint = env.string('ROAR_OTLP_ENDPOINT', 'http://127.0.0.1:4318/v1/traces');
  config.traceSampleRatio = env.number('ROAR_TRACE_SAMPLE', 1, 0, 1);
  if (!/^https?:\/\//.test(config.otlpEndpoint)) {
    throw new ConfigError(
      `ROAR_OTLP_ENDPOINT must be an http(s) URL (got "${config.otlpEndpoint}")`,
    );
  }
  if (config.automod === 'webhook' && !/^https?:\/\//.test(config.automodUrl ?? '')) {
    throw new ConfigError('ROAR_AUTOMOD=webhook needs ROAR_AUTOMOD_URL, an http(s) URL');
  }
  // Per worker; the open-file limit (about 20,000 here) is per process, shared by the workers.
  config.maxConnections = env.int(
    'ROAR_MAX_CONNECTIONS',
    Math.floor(19_000 / config.workers),
    1,
    10_000_000,
  );
  const level = env.optionalString('ROAR_LEVEL');
  if (level !== undefined) config.pinnedLevel = env.int('ROAR_LEVEL', 0, 0, 5);
  const badProxies = invalidProxyEntries(config.trustedProxies);
  if (badProxies.length > 0) {
    throw new ConfigError(
      `ROAR_TRUSTED_PROXIES must list IP addresses or CIDR ranges (got "${badProxies.join('", "')}")`,
    );
  }
  if (config.softBackpressureBytes >= config.maxBackpressureBytes) {
    throw new ConfigError('ROAR_SOFT_BACKPRESSURE_BYTES must be below ROAR_MAX_BACKPRESSURE_BYTES');
  }
  const keyless = !config.jwtSecret && !config.jwtPublicKey && !config.jwtJwksUrl;
  config.devLogin = devLoginOn(env, config, keyless);
  if (config.anonIdSecret !== undefined && config.anonIdSecret.length < 32) {
    throw new ConfigError('ROAR_ANON_ID_SECRET must be at least 32 characters');
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 32) {
    throw new ConfigError('ROAR_METRICS_TOKEN must be at least 32 characters');
  }
  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32) {
    throw new ConfigError('ROAR_JWT_SECRET must be at least 32 characters (HS256 needs 256 bits)');
  }
  if (config.jwtJwksUrl !== undefined && !/^https?:\/\//.test(config.jwtJwksUrl)) {
    throw new ConfigError(`ROAR_JWT_JWKS_URL must be an http(s) URL (got "${config.jwtJwksUrl}")`);
  }
  if (config.reactions.length === 0 || config.reactions.some((r) => [...r].length > 16)) {
    throw new ConfigError('ROAR_REACTIONS must list emoji of at most 16 characters');
  }
  if (mode === 'gateway' && keyless && !config.allowAnonymous) {
    throw new ConfigError(
      'ROAR_ALLOW_ANONYMOUS=false needs a JWT key (ROAR_JWT_SECRET, _PUBLIC_KEY or _JWKS_URL)',
    );
  }
  if (config.workers > 1 && config.port === 0) {
    throw new ConfigError(
      'ROAR_PORT must be a fixed port when ROAR_WORKERS > 1 (all workers share it)',
    );
  }
  if (mode === 'embedded' && config.workers > 1) {
    throw new ConfigError(
      'ROAR_WORKERS must be 1 in embedded mode (its in-memory bus is per thread)',
    );
  }
  env.rejectUnknown('ROAR_');
  return config;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Dev login mints tokens for anyone who can reach the port, so it is on by itself only when
 * nothing at all is configured (embedded mode, no JWT key, no admin API key) and the server
 * listens on loopback. `ROAR_DEV_LOGIN=true` may add it to a loopback setup with a JWT secret
 * (the local cluster script, whose gateways must accept each other's tokens), never to one with
 * admin API keys or on another address.
 */
function devLoginOn(env: EnvReader, config: GatewayConfig, keyless: boolean): boolean {
  const loopback = isLoopbackHost(config.host);
  const adminKeys = config.adminApiKeys.length > 0;
  const fallback = config.mode === 'embedded' && keyless && !adminKeys && loopback;
  const on = env.bool('ROAR_DEV_LOGIN', fallback);
  if (!on) return false;
  if (!loopback) {
    throw new ConfigError(
      `ROAR_DEV_LOGIN=true needs ROAR_HOST on loopback (got "${config.host}"): dev login mints tokens for anyone`,
    );
  }
  if (adminKeys) {
    throw new ConfigError('ROAR_DEV_LOGIN=true cannot be combined with ROAR_ADMIN_API_KEYS');
  }
  if (config.mode === 'gateway' && !config.jwtSecret) {
    throw new ConfigError(
      'ROAR_DEV_LOGIN=true in gateway mode needs ROAR_JWT_SECRET (every gateway must accept its tokens)',
    );
  }
  if (config.jwtPublicKey || config.jwtJwksUrl) {
    throw new ConfigError(
      'ROAR_DEV_LOGIN=true signs with ROAR_JWT_SECRET: it cannot be combined with a public key or JWKS',
    );
  }
  return true;
}
