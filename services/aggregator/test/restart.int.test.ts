import { connectNatsBus, Subjects } from '@roar/bus';
import { describe, expect, it } from 'vitest';
import { FakeGateway, startService, uniquePrefix, ViewerWatch, useBrokers } from './harness.js';

const brokers = useBrokers();
const { cleanup } = brokers;

const ids = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `viewer-${from + i}`);

describe('a restarted aggregator', () => {
  it('carries on from the stored uniques and peak', async () => {
    const subjects = new Subjects(uniquePrefix());
    const env = {
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
    };
    const watch = await ViewerWatch.open(brokers.nats.url, subjects);
    cleanup.push(() => watch.close());
    const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
    cleanup.push(() => gwBus.close());
    const g1 = new FakeGateway('g1', gwBus, subjects, 1).set('live', 40).start();
    const g2 = new FakeGateway('g2', gwBus, subjects, 1).set('live', 10).start();
    cleanup.push(
      () => g1.silence(),
      () => g2.silence(),
    );

    const first = await startService({ ...env, ROAR_AGG_ID: 'agg-first' });
    cleanup.push(() => first.stop());
    await watch.until('live', (e) => e.total === 50, 'the first total');
    // Identities travel once, as a gateway sends them when a viewer joins; two gateways overlap.
    g1.addIds('live', ids(0, 4));
    g2.addIds('live', ids(2, 7));
    await watch.until('live', (e) => e.total === 50 && e.uniques === 7, 'total and uniques');
    g2.set('live', 0);
    const before = await watch.until('live', (e) => e.total === 40, 'the total falling');
    expect(before).toMatchObject({ uniques: 7, peak: 50 });
    await first.stop();

    const restartedAt = Date.now();
    const second = await startService({ ...env, ROAR_AGG_ID: 'agg-second' });
    cleanup.push(() => second.stop());
    const resumed = await watch.until('live', (e) => e.at >= restartedAt, 'the new instance');
    // Its very first event already carries the stored figures, not ones it re-counted.
    expect(resumed).toMatchObject({ total: 40, uniques: 7, peak: 50 });
    for (const e of watch.of('live', restartedAt))
      expect(e).toMatchObject({ uniques: 7, peak: 50 });

    // And it keeps counting uniques on top of them (ids 5 and 6 were seen already).
    g1.addIds('live', ids(5, 10));
    await watch.until('live', (e) => e.uniques === 10, 'new identities counted');
    console.info(`restart: first event from the new instance after ${resumed.at - restartedAt} ms`);
  });
});
