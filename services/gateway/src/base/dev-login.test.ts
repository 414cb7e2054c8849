import { ConfigError } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './config.js';
import { devLoginSecret } from './dev-login.js';

const generated = 'g'.repeat(43);
const jwtSecret = 'j'.repeat(32);

describe('devLoginSecret', () => {
  it('signs with a secret made at start only in embedded mode, and never when dev login is off', () => {
    const embedded = loadGatewayConfig({});
    expect(embedded.devLogin).toBe(true);
    expect(devLoginSecret(embedded, generated)).toBe(generated);
    // No secret, or a short one: refused rather than a fixed default.
    expect(() => devLoginSecret(embedded, undefined)).toThrow(ConfigError);
    expect(() => devLoginSecret(embedded, 'short')).toThrow(/32\+ characters/);
    const off = loadGatewayConfig({ ROAR_DEV_LOGIN: 'false' });
    expect(devLoginSecret(off, generated)).toBeUndefined();
  });

  it('signs with the configured JWT secret whenever one is set', () => {
    const cluster = loadGatewayConfig({
      ROAR_MODE: 'gateway',
      ROAR_JWT_SECRET: jwtSecret,
      ROAR_DEV_LOGIN: 'true',
    });
    expect(devLoginSecret(cluster, generated)).toBe(jwtSecret);
    const embedded = loadGatewayConfig({ ROAR_JWT_SECRET: jwtSecret, ROAR_DEV_LOGIN: 'true' });
    expect(devLoginSecret(embedded, generated)).toBe(jwtSecret);
  });

  it('refuses a secret that was not configured outside embedded mode', () => {
    // Only reachable by building the config by hand: loadGatewayConfig refuses it first.
    const config = { devLogin: true, mode: 'gateway' as const, jwtSecret: undefined };
    expect(() => devLoginSecret(config, generated)).toThrow(/ROAR_JWT_SECRET only/);
  });
});
