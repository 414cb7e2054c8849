import { describe, expect, it } from 'vitest';
import { useBrokers } from '../harness.js';
import { Cluster, Poller, type Viewer } from './cluster.js';

// Issue 11, finding 6: a gateway crash whose viewers reconnect to the others at once must not
// raise the peak, although for a few report intervals the crashed gateway's last counts are still
// in the sums beside the same viewers counted again.

const brokers = useBrokers();

describe('the peak through a crash-and-reconnect herd', () => {
  it('stays the true peak, published and stored', async () => {
    const c = new Cluster(brokers);
    const stream = 'peak-1';
    const gws = await Promise.all([c.gateway(), c.gateway(), c.gateway()]);
    await c.aggregator('agg-a');
    const onCrashed = await c.join(gws[0]!, stream, 'pk0', 60);
    await Promise.all([c.join(gws[1]!, stream, 'pk1', 60), c.join(gws[2]!, stream, 'pk2', 60)]);
    await c.untilShown(stream, (b) => b.total === 180 && b.peak === 180, 'the peak of 180');
    const peaks = new Poller(async () => (await c.shown(gws[1]!, stream))?.peak);

    // SIGKILL: the sockets drop and every viewer reconnects to another gateway at once.
    const reconnected = onCrashed.map((v: Viewer, i) =>
      v.client.closed.then(() => c.joinOne(gws[1 + (i % 2)]!, stream, v.anon)),
    );
    await gws[0]!.process.stop('SIGKILL');
    await Promise.all(reconnected);
    await c.untilShown(stream, (b) => b.total === 180, 'the total back at 180 after expiry');
    // Long enough for several clean peak windows after the crashed gateway's expiry.
    await new Promise((r) => setTimeout(r, 3000));

    const seen = await peaks.stop();
    expect(seen.length).toBeGreaterThan(20);
    expect(Math.max(...seen)).toBe(180);
    expect(await (await c.store()).stats.peak(stream)).toBe(180);
    await c.untilShown(stream, (b) => b.peak === 180, 'the peak still 180', 1000);
  });
});
