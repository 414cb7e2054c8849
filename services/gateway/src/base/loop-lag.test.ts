import { createHistogram } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from './metrics.js';

const series = (text: string, name: string): string[] =>
  text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
const value = (text: string, name: string): number =>
  Number(series(text, name)[0]?.split(' ').pop());

describe('nodejs_eventloop_lag_* series', () => {
  it("are the beat's delays since the last scrape, one series each, 0 when none came", async () => {
    const delays = createHistogram();
    const metrics = new GatewayMetrics({ gateway: 'g' }, delays);
    delays.record(2e6);
    delays.record(300e6);
    let text = await metrics.registry.metrics();
    for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'])
      expect(series(text, `nodejs_eventloop_lag_${stat}_seconds`)).toHaveLength(1);
    expect(series(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(value(text, 'nodejs_eventloop_lag_min_seconds')).toBeCloseTo(0.002, 3);
    expect(value(text, 'nodejs_eventloop_lag_max_seconds')).toBeCloseTo(0.3, 2);
    expect(value(text, 'nodejs_eventloop_lag_p99_seconds')).toBeCloseTo(0.3, 2);
    expect(series(text, 'nodejs_eventloop_lag_p99_seconds')[0]).toContain('gateway="g"');
    // Read and reset at each scrape, as prom-client's own monitor was.
    text = await metrics.registry.metrics();
    expect(value(text, 'nodejs_eventloop_lag_max_seconds')).toBe(0);
    expect(value(text, 'nodejs_eventloop_lag_mean_seconds')).toBe(0);
  });
});
