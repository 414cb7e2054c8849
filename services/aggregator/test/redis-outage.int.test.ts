import { partitionLeaseName } from '@roar/aggregation';
import { connectNatsBus, Subjects } from '@roar/bus';
import { createRedisStore } from '@roar/store';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import {
  FakeGateway,
  metric,
  readyz,
  startService,
  uniquePrefix,
  ViewerWatch,
  useBrokers,
} from './harness.js';

const brokers = useBrokers();
const { cleanup } = brokers;

// The Redis client retries with a backoff of up to 2 s; room for a loaded machine.
const RECONNECT = { timeoutMs: 10_000 };

const ids = (tag: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${tag}-${i}`);

async function world(): Promise<{ subjects: Subjects; watch: ViewerWatch; g1: FakeGateway }> {
  const subjects = new Subjects(uniquePrefix());
  const watch = await ViewerWatch.open(brokers.nats.url, subjects);
  cleanup.push(() => watch.close());
  const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
  cleanup.push(() => gwBus.close());
  const g1 = new FakeGateway('g1', gwBus, subjects, 1).set('s', 100).start();
  cleanup.push(() => g1.silence());
  return { subjects, watch, g1 };
}

describe('Redis down', () => {
  it('does not stop the count; store errors show in /metrics; uniques work again after', async () => {
    const { subjects, watch, g1 } = await world();
    const svc = await startService({
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
    });
    cleanup.push(() => svc.stop());
    await watch.until('s', (e) => e.total === 100, 'the total');
    g1.addIds('s', ids('before', 5));
    await watch.until('s', (e) => e.uniques === 5, 'uniques');

    await brokers.redis.stop();
    await waitFor(async () => (await metric(svc.port, 'roar_agg_redis_connected')) === 0, {
      message: 'redis_connected falling to 0',
    });
    const storeErrors = await metric(svc.port, 'roar_agg_store_errors_total');
    for (const total of [120, 130, 125]) {
      g1.set('s', total);
      await watch.until('s', (e) => e.total === total, `total ${total} during the outage`);
      // Peaks need no store: 130 becomes the peak once it held through a clean window.
      if (total === 130) await watch.until('s', (e) => e.peak === 130, 'the peak of 130');
    }
    expect(await readyz(svc.port)).toEqual({ status: 200, owned: [0], nats: true, redis: false });
    // Each publish tries to save the totals, and fails.
    expect(await metric(svc.port, 'roar_agg_store_errors_total')).toBeGreaterThan(storeErrors);
    expect(await metric(svc.port, 'roar_agg_leases_kept_total')).toBeGreaterThan(0);
    expect(await metric(svc.port, 'roar_agg_partitions_lost_total')).toBe(0);

    await brokers.redis.start();
    await waitFor(async () => (await readyz(svc.port)).redis, {
      ...RECONNECT,
      message: 'redis reachable again',
    });
    // The test server keeps nothing on disk, so the sketches start empty again; the published
    // count never goes down, so it shows once the new identities outnumber the old.
    // The restarted Redis hands the lease back under a new epoch: the partition starts afresh,
    // with its warm-up, before it publishes again. Identities a report carries while the store
    // is not yet writable are not kept, so the gateway sends them again, as a real gateway retries
    // a failed batch; the sketch counts each id once however often it is added.
    await waitFor(
      () => {
        const seen = watch.latest('s');
        if (seen?.uniques === 8 && seen.total === 125) return true;
        g1.addIds('s', ids('after', 8));
        return false;
      },
      { timeoutMs: 3 * RECONNECT.timeoutMs, intervalMs: 500, message: 'uniques counted again' },
    );
    expect(watch.latest('s')?.peak).toBe(130);
  }, 90_000);

  it('is no reason not to start: a lone aggregator counts without it', async () => {
    const { subjects, watch, g1 } = await world();
    await brokers.redis.stop();
    const startedAt = Date.now();
    const svc = await startService({
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
    });
    cleanup.push(() => svc.stop());
    const startMs = Date.now() - startedAt;
    await watch.until('s', (e) => e.total === 100, 'the total without Redis');
    expect(await readyz(svc.port)).toEqual({ status: 200, owned: [0], nats: true, redis: false });
    expect(await metric(svc.port, 'roar_agg_leases_claimed_blind_total')).toBeGreaterThan(0);

    await brokers.redis.start();
    await waitFor(async () => (await readyz(svc.port)).redis, {
      ...RECONNECT,
      message: 'redis reachable',
    });
    // Its next renewal turns the blind lease into a real one, and a second instance stays standby.
    const store = createRedisStore({
      url: brokers.redis.url,
      prefix: subjects.prefix,
      historyCapacity: 1,
    });
    cleanup.push(() => store.close());
    await store.ready();
    await waitFor(async () => (await store.leases.holder(partitionLeaseName(0))) === svc.id, {
      message: 'the lease held in Redis',
    });
    const standby = await startService({
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
    });
    cleanup.push(() => standby.stop());
    g1.set('s', 140);
    await watch.until('s', (e) => e.total === 140, 'the total after Redis came back');
    expect((await readyz(standby.port)).owned).toEqual([]);
    expect((await readyz(svc.port)).owned).toEqual([0]);
    console.info(`start with Redis down took ${startMs} ms`);
  });
});
