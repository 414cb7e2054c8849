import { sleep } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { useBrokers } from '../harness.js';
import { Cluster } from './cluster.js';

// Issue 11, finding 5: identities that join while no aggregator owns the partition (a crash
// before the standby takes over, a restart with no standby) must still be counted.

const brokers = useBrokers();

describe('unique viewers across aggregator gaps', () => {
  it('counts every identity that joined while no aggregator owned the partition', async () => {
    const c = new Cluster(brokers);
    const stream = 'uniq-1';
    const gws = await Promise.all([c.gateway(), c.gateway()]);
    const first = await c.aggregator('agg-a');
    await c.aggregator('agg-b');
    await c.join(gws[0]!, stream, 'ua', 20);
    await c.untilShown(stream, (b) => b.uniques === 20, 'the first 20 uniques');
    const owner = await c.owner(c.aggregators);

    // Crash: until the lease runs out (1 s) nobody owns the partition.
    await owner.process.stop('SIGKILL');
    await Promise.all([c.join(gws[0]!, stream, 'ub', 15), c.join(gws[1]!, stream, 'uc', 15)]);
    await c.owner(c.aggregators.filter((a) => a.process.running));

    // A clean stop of the last aggregator, and a restart a little later: nobody at all owns it.
    const standby = c.aggregators.find((a) => a.process.running)!;
    await standby.process.stop('SIGTERM');
    await Promise.all([c.join(gws[0]!, stream, 'ud', 10), c.join(gws[1]!, stream, 'ue', 10)]);
    // The gap with no aggregator at all is the scenario.
    await sleep(500);
    const restarted = await c.aggregator(first === owner ? 'agg-a2' : 'agg-b2');
    await c.owner([restarted]);

    // 70 distinct identities joined; 8 HyperLogLogs this small count exactly or within one.
    const store = await c.store();
    await c.untilShown(stream, (b) => b.total === 70, 'every viewer counted');
    await c.untilShown(stream, (b) => Math.abs((b.uniques ?? 0) - 70) <= 1, 'all 70 uniques');
    expect(Math.abs((await store.uniques.count(stream)) - 70)).toBeLessThanOrEqual(1);
  });
});
