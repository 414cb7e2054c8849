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
    ];
    for (const [env, message] of cases) {
      expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
      expect(() => loadGatewayConfig(env)).toThrow(message);
    }
  });
});
