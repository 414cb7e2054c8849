import { ConfigError, type EnvReader } from '@roar/runtime';
import { invalidProxyEntries } from './client-address.js';
import type { GatewayConfig } from './gateway-config.js';

/**
 * The checks that span several variables, in the order they are reported, once every variable
 * is read; dev login is decided here because it depends on them (see `devLoginOn`).
 */
export function checkGatewayConfig(env: EnvReader, config: GatewayConfig): void {
  const { mode } = config;
  if (config.eventLog.driver === 'memory' && mode !== 'embedded') {
    throw new ConfigError(
      'ROAR_LOG=memory works in embedded mode only (one process); use jetstream or off',
    );
  }
  if (
    config.webhooks.endpoints.length > 0 &&
    (mode !== 'embedded' || !(config.eventLog.driver === 'memory'))
  ) {
    throw new ConfigError(
      'ROAR_WEBHOOK_ENDPOINTS: gateways deliver webhooks in embedded mode with ROAR_LOG=memory only; ' +
        'in a cluster run the webhook process (services/webhooks)',
    );
  }
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
  if (config.admissionTicketSecret !== undefined && config.admissionTicketSecret.length < 32) {
    throw new ConfigError('ROAR_ADMISSION_TICKET_SECRET must be at least 32 characters');
  }
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
  // Polls: a vote taken just before the end must reach the store within the grace.
  if (config.pollGraceMs < 2 * config.pollFlushMs) {
    throw new ConfigError('ROAR_POLL_GRACE_MS must be at least twice ROAR_POLL_FLUSH_MS');
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
  if (mode === 'embedded' && config.chatRelay) {
    throw new ConfigError(
      'ROAR_CHAT_RELAY is for gateway mode: embedded mode is one gateway, with nothing to relay to',
    );
  }
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
