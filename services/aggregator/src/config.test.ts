import { ConfigError } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { loadAggregatorConfig } from './config.js';

describe('loadAggregatorConfig', () => {
  it('reads the shared settings as gateways do, and defaults the rest', () => {
    const config = loadAggregatorConfig({
      ROAR_AGG_PARTITIONS: '8',
      ROAR_REPORT_INTERVAL_MS: '500',
      ROAR_PREFIX: 'tenant-a',
    });
    expect(config).toMatchObject({
      partitions: 8,
      maxPartitions: 8,
      reportIntervalMs: 500,
      countIntervalMs: 1000,
      prefix: 'tenant-a',
      leaseTtlMs: 3000,
      expiryIntervals: 3,
      host: '127.0.0.1',
      port: 9091,
    });
    expect(config.aggregatorId).toMatch(/^agg-[A-Za-z0-9_-]+-\d+-[0-9a-f]{6}$/);
    expect(config.aggregatorId.length).toBeLessThanOrEqual(64);
  });

  it.each([
    [{ ROAR_AGG_ID: 'has space' }, 'ROAR_AGG_ID must match'],
    [{ ROAR_AGG_PARTITIONS: '4', ROAR_AGG_MAX_PARTITIONS: '5' }, 'ROAR_AGG_MAX_PARTITIONS'],
    [{ ROAR_AGG_MAX_PARTITIONS: '0' }, 'ROAR_AGG_MAX_PARTITIONS'],
    [{ ROAR_AGG_LEASE_TTL_MS: '1500' }, 'ROAR_AGG_LEASE_TTL_MS must be at least 2 ×'],
    [{ ROAR_AGG_EXPIRY_INTERVALS: '1' }, 'ROAR_AGG_EXPIRY_INTERVALS'],
    [{ ROAR_AGG_PORT: '70000' }, 'ROAR_AGG_PORT'],
    [{ ROAR_MODE: 'gateway' }, 'unknown configuration variable(s): ROAR_MODE'],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadAggregatorConfig(env)).toThrow(ConfigError);
    expect(() => loadAggregatorConfig(env)).toThrow(message);
  });

  it('allows port 0 and a lease of two report intervals', () => {
    const config = loadAggregatorConfig({
      ROAR_AGG_PORT: '0',
      ROAR_REPORT_INTERVAL_MS: '100',
      ROAR_AGG_LEASE_TTL_MS: '200',
    });
    expect(config).toMatchObject({ port: 0, leaseTtlMs: 200 });
  });
});
