import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FixedHistogram } from './fixed-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0.0005, 0.001, 0.002, 0.05, 0.1, 0.7, 3, 12];

function registry(): Registry {
  const r = new Registry();
  r.setDefaultLabels({ gateway: 'gw-1' });
  return r;
}

describe('FixedHistogram', () => {
  it('exposes exactly what a prom-client Histogram exposes for the same observations', async () => {
    const ours = registry();
    const theirs = registry();
    const fixed = new FixedHistogram('h_seconds', 'help', BUCKETS, ours, {
      name: 'result',
      values: ['accepted', 'held', 'rejected'] as const,
    });
    const reference = new Histogram({
      name: 'h_seconds',
      help: 'help',
      labelNames: ['result'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    VALUES.forEach((v, i) => {
      const result = i % 3 === 0 ? 'accepted' : 'rejected';
      fixed.observe(v, fixed.indexOf(result));
      reference.observe({ result }, v);
    });
    // `held` has no sample: like prom-client, no series for it.
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('sums across workers like prom-client metrics do', async () => {
    const workers = [registry(), registry()];
    workers.forEach((r, i) => {
      const h = new FixedHistogram('lag_seconds', 'help', BUCKETS, r);
      h.observe(0.005);
      h.observe(i + 0.5);
    });
    const merged = AggregatorRegistry.aggregate(
      await Promise.all(workers.map((r) => r.getMetricsAsJSON())),
    );
    const text = await merged.metrics();
    expect(text).toContain('lag_seconds_bucket{le="0.01",gateway="gw-1"} 2');
    expect(text).toContain('lag_seconds_bucket{le="1",gateway="gw-1"} 3');
    expect(text).toContain('lag_seconds_count{gateway="gw-1"} 4');
  });
});
