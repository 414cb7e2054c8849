import { ConfigError, type EnvReader } from '@roar/runtime';

export type FailMode = 'open' | 'closed';

/** One hook endpoint: where, how long to wait, and what to do when it cannot answer. */
export interface HookEndpointConfig {
  url: string;
  timeoutMs: number;
  fail: FailMode;
}

/** The backend hooks' slice of the gateway configuration (docs/configuration.md, "Backend hooks"). */
export interface HooksConfig {
  connect: HookEndpointConfig | undefined;
  join: HookEndpointConfig | undefined;
  publish: HookEndpointConfig | undefined;
  /** Built-in before-publish rules (`ROAR_AUTOMOD=rules`), run when no publish hook is set. */
  publishRules: boolean;
  /** Sent to every hook as `Authorization: Bearer <secret>`. */
  secret: string | undefined;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Join checks gathered into one request for at most this long... */
  joinBatchMs: number;
  /** ...or until this many are waiting. */
  joinBatchMax: number;
  /** Decisions kept per gateway (connect and join each), oldest evicted first. */
  cacheMax: number;
  /** TTL of a decision whose answer gives none; 0: such decisions are not cached. */
  defaultTtlS: number;
  /** Longest TTL honoured, whatever the backend says. */
  maxTtlS: number;
}

/**
 * Reads `ROAR_HOOK_*`. The before-publish check that was `ROAR_AUTOMOD=webhook` is the publish
 * hook now: `ROAR_AUTOMOD_URL`, `ROAR_AUTOMOD_TIMEOUT_MS` and `ROAR_AUTOMOD_FAIL` still work as
 * the old names of `ROAR_HOOK_PUBLISH_URL`, `_TIMEOUT_MS` and `_FAIL` (the new name wins).
 */
export function readHooksConfig(env: EnvReader): HooksConfig {
  const automod = env.oneOf('ROAR_AUTOMOD', 'off', ['off', 'rules', 'webhook']);
  const automodUrl = env.optionalString('ROAR_AUTOMOD_URL');
  if (automod === 'webhook' && !/^https?:\/\//.test(automodUrl ?? '')) {
    throw new ConfigError('ROAR_AUTOMOD=webhook needs ROAR_AUTOMOD_URL, an http(s) URL');
  }
  const publishUrl =
    env.optionalString('ROAR_HOOK_PUBLISH_URL') ?? (automod === 'webhook' ? automodUrl : undefined);
  return {
    connect: endpoint(env, 'CONNECT', env.optionalString('ROAR_HOOK_CONNECT_URL'), 1000, 'closed'),
    join: endpoint(env, 'JOIN', env.optionalString('ROAR_HOOK_JOIN_URL'), 1000, 'closed'),
    publish: endpoint(env, 'PUBLISH', publishUrl, 200, 'open', 'ROAR_AUTOMOD'),
    publishRules: automod === 'rules',
    secret: env.optionalString('ROAR_HOOK_SECRET'),
    breakerFailures: env.int('ROAR_HOOK_BREAKER_FAILURES', 5, 1, 1000),
    breakerCooldownMs: env.int('ROAR_HOOK_BREAKER_COOLDOWN_MS', 5000, 100, 600_000),
    joinBatchMs: env.int('ROAR_HOOK_JOIN_BATCH_MS', 15, 0, 1000),
    joinBatchMax: env.int('ROAR_HOOK_JOIN_BATCH_MAX', 500, 1, 10_000),
    cacheMax: env.int('ROAR_HOOK_CACHE_MAX', 200_000, 0, 10_000_000),
    defaultTtlS: env.int('ROAR_HOOK_DEFAULT_TTL_S', 60, 0, 86_400),
    maxTtlS: env.int('ROAR_HOOK_MAX_TTL_S', 3600, 0, 86_400),
  };
}

function endpoint(
  env: EnvReader,
  name: string,
  url: string | undefined,
  timeoutMs: number,
  fail: FailMode,
  oldPrefix?: string,
): HookEndpointConfig | undefined {
  const variable = `ROAR_HOOK_${name}`;
  if (url !== undefined && !/^https?:\/\/[^/\s]/.test(url)) {
    throw new ConfigError(`${variable}_URL must be an http(s) URL (got "${url}")`);
  }
  const timeoutVar =
    oldPrefix && env.optionalString(`${variable}_TIMEOUT_MS`) === undefined
      ? `${oldPrefix}_TIMEOUT_MS`
      : `${variable}_TIMEOUT_MS`;
  const failVar =
    oldPrefix && env.optionalString(`${variable}_FAIL`) === undefined
      ? `${oldPrefix}_FAIL`
      : `${variable}_FAIL`;
  // Read even when the hook is off, so the variables are known (and checked) either way.
  const config = {
    url: url ?? '',
    timeoutMs: env.int(timeoutVar, timeoutMs, 10, 30_000),
    fail: env.oneOf<FailMode>(failVar, fail, ['open', 'closed']),
  };
  if (oldPrefix) {
    env.optionalString(`${oldPrefix}_TIMEOUT_MS`);
    env.optionalString(`${oldPrefix}_FAIL`);
  }
  return url === undefined ? undefined : config;
}
