import { describe, expect, it } from 'vitest';
import { useBrokers } from '../harness.js';
import { Cluster, Poller, type Viewer } from './cluster.js';

// Issue 11, finding 9: during a rolling drain, viewers leave one gateway and arrive on the others
// at tens per second; the shown total must stay within 3% of the viewers really connected.

const brokers = useBrokers();

/** Production's intervals: the drift comes from reports a whole interval apart. */
const TIMERS = { reportMs: 1000, countMs: 1000, leaseTtlMs: 3000, drainWindowMs: 5000 };

describe('the count during a rolling drain', () => {
  it('stays within 3% of the truth while a gateway drains 100 of 300 viewers', async () => {
    const c = new Cluster(brokers, TIMERS);
    const stream = 'drain-1';
    const gws = await Promise.all([c.gateway(), c.gateway(), c.gateway()]);
    await c.aggregator('agg-a');
    const draining = await c.join(gws[0]!, stream, 'dr0', 100);
    await Promise.all([c.join(gws[1]!, stream, 'dr1', 100), c.join(gws[2]!, stream, 'dr2', 100)]);
    await c.untilShown(stream, (b) => b.total === 300, 'the total of 300', 20_000);

    // Each drained viewer reconnects to another gateway after the delay it is told, as the SDK does.
    const moved = draining.map((v: Viewer, i) =>
      v.client.closed.then(async () => {
        const told = v.client.messages.find((m) => m.type === 'reconnect');
        const delayMs = told?.type === 'reconnect' ? (told.delayMs ?? 0) : 0;
        await new Promise((r) => setTimeout(r, delayMs));
        return c.joinOne(gws[1 + (i % 2)]!, stream, v.anon);
      }),
    );
    const drift = new Poller(async () => {
      const truth = c.open();
      const shown = await c.shown(gws[1]!, stream);
      return (
        shown && {
          at: Date.now(),
          truth,
          shown: shown.total,
          drift: Math.abs(shown.total - truth) / truth,
        }
      );
    }, 100);
    const stopped = gws[0]!.process.stop('SIGTERM', 30_000);
    await Promise.all(moved);
    await stopped;
    await c.untilShown(stream, (b) => b.total === 300, 'the total back at 300', 10_000);
    const samples = await drift.stop();

    expect(samples.length).toBeGreaterThan(30);
    const worst = samples.reduce((a, b) => (b.drift > a.drift ? b : a));
    console.info(`worst drift ${(worst.drift * 100).toFixed(1)}% over ${samples.length} samples`);
    expect(worst.drift, `worst sample ${JSON.stringify(worst)}`).toBeLessThanOrEqual(0.03);
  });
});
