import { sleep } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { useBrokers } from '../harness.js';
import { Cluster, Poller, type ViewersBody } from './cluster.js';

// Issue 11, finding 1: an aggregator paused longer than its lease (SIGSTOP) must not publish or
// store the zeros its stale clock computes when it resumes, and the standby that took over must
// not leave them standing.

const brokers = useBrokers();

describe('an aggregator paused past its lease', () => {
  it('never makes a gateway, its HTTP endpoint or the stored totals show 0', async () => {
    const c = new Cluster(brokers);
    const stream = 'pause-1';
    const gws = await Promise.all([c.gateway(), c.gateway(), c.gateway()]);
    const aggs = [await c.aggregator('agg-a'), await c.aggregator('agg-b')];
    await Promise.all([
      c.join(gws[0]!, stream, 'pa', 20),
      c.join(gws[1]!, stream, 'pb', 30),
      c.join(gws[2]!, stream, 'pc', 40),
    ]);
    await c.untilShown(stream, (b) => b.total === 90, 'the first total on every gateway');
    const owner = await c.owner(aggs);
    const standby = aggs.find((a) => a !== owner)!;

    // Every figure any viewer can see: each gateway's endpoint, the stored totals, and the
    // viewers events one client on each gateway receives.
    const shown = new Poller(async () => {
      const bodies = await Promise.all(gws.map((g) => c.shown(g, stream)));
      return bodies.filter((b): b is ViewersBody => b !== undefined).map((b) => b.total);
    });
    const store = await c.store();
    const stored = new Poller(async () => (await store.stats.totals(stream))?.total);
    const watchers = [...c.viewers].filter(
      (v, i, all) => all.findIndex((w) => w.gateway === v.gateway) === i,
    );
    const pushedFrom = watchers.map((v) => v.client.messages.length);

    owner.process.child.kill('SIGSTOP');
    // Longer than the lease (1 s) and the standby's warm-up: the standby publishes meanwhile.
    await sleep(5000);
    expect((await c.owner([standby], 1)).pid).toBe(standby.pid);
    owner.process.child.kill('SIGCONT');
    // The resumed owner's stale tick, and whatever it might publish afterwards.
    await sleep(4000);

    const totals = (await shown.stop()).flat();
    const storedTotals = await stored.stop();
    const pushed = watchers.flatMap((v, i) =>
      v.client.messages
        .slice(pushedFrom[i])
        .flatMap((m) => (m.type === 'batch' ? m.events : []))
        .flatMap((e) => (e.type === 'viewers' ? [e.total] : [])),
    );
    expect(totals.length).toBeGreaterThan(100);
    expect(totals.filter((t) => t !== 90)).toEqual([]);
    expect(storedTotals.filter((t) => t !== 90)).toEqual([]);
    expect(pushed.filter((t) => t !== 90)).toEqual([]);
    // The resumed instance found its lease gone and let go.
    expect((await c.owner(aggs)).pid).toBe(standby.pid);
  });

  it('with no standby: keeps the last figure, marked stale, and never 0, until the owner is back', async () => {
    const c = new Cluster(brokers);
    const stream = 'pause-2';
    const gws = await Promise.all([c.gateway(), c.gateway()]);
    const agg = await c.aggregator('agg-solo');
    await Promise.all([c.join(gws[0]!, stream, 'sa', 25), c.join(gws[1]!, stream, 'sb', 35)]);
    await c.untilShown(stream, (b) => b.total === 60 && b.stale !== true, 'the first total');
    const shown = new Poller(async () => {
      const bodies = await Promise.all(gws.map((g) => c.shown(g, stream)));
      return bodies.filter((b): b is ViewersBody => b !== undefined);
    });

    agg.process.child.kill('SIGSTOP');
    // 15 count intervals (3 s here) without a word: the figures are marked stale, and kept.
    await c.untilShown(stream, (b) => b.stale === true, 'the stale mark', 10_000);
    agg.process.child.kill('SIGCONT');
    await c.untilShown(stream, (b) => b.total === 60 && b.stale !== true, 'fresh figures again');
    // The pollers watch 2 s more, a window in which no wrong total may show: the scenario.
    await sleep(2000);

    const bodies = (await shown.stop()).flat();
    expect(bodies.filter((b) => b.total !== 60)).toEqual([]);
    expect(bodies.some((b) => b.stale === true)).toBe(true);
    expect(bodies.at(-1)?.stale).toBeUndefined();
  });
});
