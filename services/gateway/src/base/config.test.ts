import { ConfigError } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REACTIONS, loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('has working defaults: embedded, dev login on without a key', () => {
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({
      mode: 'embedded',
      port: 8080,
      tickMs: 50,
      reactionWindowMs: 250,
      countIntervalMs: 1000,
    });
    expect(c).toMatchObject({ chatRatePerS: 1, chatBurst: 3, historyOnJoin: 50, devLogin: true });
    expect(c.reactions).toEqual(DEFAULT_REACTIONS);
    expect(c).toMatchObject({ trustedProxies: [], streamStateTtlS: 7 * 86_400 });
    const proxied = loadGatewayConfig({ ROAR_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.0.2.1' });
    expect(proxied.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
  });

  it('turns dev login off when a key is configured, and in gateway mode', () => {
    expect(loadGatewayConfig({ ROAR_JWT_SECRET: 'x'.repeat(32) }).devLogin).toBe(false);
    expect(loadGatewayConfig({ ROAR_MODE: 'gateway' }).devLogin).toBe(false);
  });

  it('keeps dev login to loopback servers with nothing configured (issue 12, item 1)', () => {
    const keys = { ROAR_ADMIN_API_KEYS: `ops:${'k'.repeat(32)}` };
    expect(loadGatewayConfig(keys).devLogin).toBe(false);
    expect(loadGatewayConfig({ ROAR_HOST: '0.0.0.0' }).devLogin).toBe(false);
    expect(loadGatewayConfig({ ROAR_HOST: '::1' }).devLogin).toBe(true);
    // Asked for explicitly: on loopback with a JWT secret (the local cluster script), else refused.
    const secret = { ROAR_JWT_SECRET: 'x'.repeat(32) };
    expect(loadGatewayConfig({ ...secret, ROAR_DEV_LOGIN: 'true' }).devLogin).toBe(true);
    expect(() => loadGatewayConfig({ ROAR_DEV_LOGIN: 'true', ROAR_HOST: '0.0.0.0' })).toThrow(
      /ROAR_DEV_LOGIN=true needs ROAR_HOST on loopback/,
    );
    expect(() => loadGatewayConfig({ ROAR_MODE: 'gateway', ROAR_DEV_LOGIN: 'true' })).toThrow(
      /needs ROAR_JWT_SECRET/,
    );
    expect(() => loadGatewayConfig({ ...keys, ROAR_DEV_LOGIN: 'true' })).toThrow(
      /ROAR_DEV_LOGIN=true cannot be combined with ROAR_ADMIN_API_KEYS/,
    );
  });

  it('names neither host nor pid in the default gateway id (a metrics label)', () => {
    const id = loadGatewayConfig({}).gatewayId;
    expect(id).toMatch(/^gw-[0-9a-f]{12}$/);
    expect(id).not.toContain(String(process.pid));
  });

  it('names the variable that is wrong', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ROAR_MODE: 'cluster' }, /ROAR_MODE must be one of embedded, gateway/],
      [{ ROAR_PORT: '70000' }, /ROAR_PORT/],
      [{ ROAR_TICK_MS: '0' }, /ROAR_TICK_MS/],
      [{ ROAR_TICK_MS: '100', ROAR_REACTION_WINDOW_MS: '50' }, /ROAR_REACTION_WINDOW_MS/],
      [{ ROAR_JWT_SECRET: 'short' }, /ROAR_JWT_SECRET must be at least 32/],
      [{ ROAR_JWT_JWKS_URL: 'ftp://x' }, /ROAR_JWT_JWKS_URL/],
      [{ ROAR_ALLOW_ANONYMOUS: 'nope' }, /ROAR_ALLOW_ANONYMOUS/],
      [{ ROAR_GATEWAY_ID: 'has space' }, /ROAR_GATEWAY_ID/],
      [{ ROAR_PREFIX: 'a.b' }, /ROAR_PREFIX/],
      [{ ROAR_MODE: 'gateway', ROAR_ALLOW_ANONYMOUS: 'false' }, /needs a JWT key/],
      [{ ROAR_CAHT_RATE: '2' }, /unknown configuration variable\(s\): ROAR_CAHT_RATE/],
      [{ ROAR_TRUSTED_PROXIES: '10.0.0.0/8, lb.internal' }, /ROAR_TRUSTED_PROXIES.*lb\.internal/],
      [{ ROAR_STREAM_STATE_TTL_S: '5' }, /ROAR_STREAM_STATE_TTL_S/],
      [{ ROAR_JWT_MAX_LIFETIME_S: '10' }, /ROAR_JWT_MAX_LIFETIME_S/],
      [{ ROAR_DEV_LOGIN_ROLES: 'all' }, /ROAR_DEV_LOGIN_ROLES/],
      [{ ROAR_ANON_ID_SECRET: 'short' }, /ROAR_ANON_ID_SECRET must be at least 32/],
      [{ ROAR_METRICS_TOKEN: 'short' }, /ROAR_METRICS_TOKEN must be at least 32/],
      [{ ROAR_ANON_IDS_PER_IP: '0' }, /ROAR_ANON_IDS_PER_IP/],
      // Polls
      [{ ROAR_POLL_FLUSH_MS: '10' }, /ROAR_POLL_FLUSH_MS/],
      [{ ROAR_POLL_FLUSH_MS: '600' }, /ROAR_POLL_GRACE_MS must be at least twice/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
      expect(() => loadGatewayConfig(env)).toThrow(message);
    }
  });
});
