import { connectNatsBus, partitionOf, Subjects, type NatsBus } from '@roar/bus';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { AggregatorService } from '../src/aggregator-service.js';
import {
  FakeGateway,
  metric,
  readyz,
  startService,
  streamsByPartition,
  uniquePrefix,
  ViewerWatch,
  useBrokers,
} from './harness.js';

const brokers = useBrokers();
const { cleanup } = brokers;

const LEASE_TTL_MS = 600;

interface World {
  subjects: Subjects;
  gwBus: NatsBus;
  watch: ViewerWatch;
  service(id: string, env?: Record<string, string>): Promise<AggregatorService>;
}

async function world(): Promise<World> {
  const subjects = new Subjects(uniquePrefix());
  const watch = await ViewerWatch.open(brokers.nats.url, subjects);
  cleanup.push(() => watch.close());
  const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
  cleanup.push(() => gwBus.close());
  return {
    subjects,
    gwBus,
    watch,
    async service(id, env = {}) {
      const svc = await startService({
        ROAR_PREFIX: subjects.prefix,
        ROAR_NATS_URL: brokers.nats.url,
        ROAR_REDIS_URL: brokers.redis.url,
        ROAR_AGG_ID: id,
        ROAR_AGG_LEASE_TTL_MS: String(LEASE_TTL_MS),
        ...env,
      });
      cleanup.push(() => svc.stop());
      return svc;
    },
  };
}

describe('two aggregators', () => {
  it('never double count, and the standby takes over when the owner stops', async () => {
    const w = await world();
    const g1 = new FakeGateway('g1', w.gwBus, w.subjects, 1).set('final', 500).start();
    const g2 = new FakeGateway('g2', w.gwBus, w.subjects, 1).set('final', 70).start();
    cleanup.push(
      () => g1.silence(),
      () => g2.silence(),
    );
    // Every sum the stream really went through; anything else published would be a gateway
    // counted twice, or missed.
    const truths = new Set([570]);

    const [a, b] = await Promise.all([w.service('agg-a'), w.service('agg-b')]);
    await waitFor(
      async () => {
        const owned = [(await readyz(a.port)).owned, (await readyz(b.port)).owned];
        return owned.flat().length === 1 && owned.flat()[0] === 0;
      },
      { message: 'exactly one instance owning partition 0' },
    );
    const [owner, standby] = (await readyz(a.port)).owned.length === 1 ? [a, b] : [b, a];
    expect((await readyz(standby.port)).status).toBe(200);
    await w.watch.until('final', (e) => e.total === 570, 'the first total');

    g1.set('final', 600);
    truths.add(670);
    await w.watch.until('final', (e) => e.total === 670, 'a change');

    const stoppedAt = Date.now();
    await owner.stop();
    const stopMs = Date.now() - stoppedAt;
    await waitFor(async () => (await readyz(standby.port)).owned.includes(0), {
      timeoutMs: LEASE_TTL_MS,
      message: 'the standby owning partition 0 within the lease TTL',
    });
    const takeoverMs = Date.now() - stoppedAt;
    // The new owner publishes what it re-learnt once warm, then changes.
    const before = w.watch.of('final').length;
    await waitFor(() => w.watch.of('final').length > before, {
      message: 'the new owner publishing',
    });
    const firstPublishMs = (w.watch.latest('final')?.at ?? 0) - stoppedAt;
    expect(w.watch.latest('final')?.total).toBe(670);

    g2.set('final', 90);
    truths.add(690);
    await w.watch.until('final', (e) => e.total === 690, 'a change after takeover');
    for (const e of w.watch.of('final')) expect(truths).toContain(e.total);
    console.info(
      `failover: owner stopped in ${stopMs} ms, standby owned partition 0 after ${takeoverMs} ms, ` +
        `first total from it after ${firstPublishMs} ms`,
    );
  });

  it('split 4 partitions 2/2, and each stream is published by exactly one of them', async () => {
    const w = await world();
    const streams = streamsByPartition(4, 'split');
    const g1 = new FakeGateway('g1', w.gwBus, w.subjects, 4);
    const g2 = new FakeGateway('g2', w.gwBus, w.subjects, 4);
    streams.forEach((s, i) => {
      g1.set(s, 1000 * (i + 1));
      g2.set(s, i + 1);
    });
    g1.start();
    g2.start();
    cleanup.push(
      () => g1.silence(),
      () => g2.silence(),
    );
    const env = { ROAR_AGG_PARTITIONS: '4', ROAR_AGG_MAX_PARTITIONS: '2' };
    const [a, b] = await Promise.all([w.service('agg-a', env), w.service('agg-b', env)]);
    let owned: number[][] = [];
    await waitFor(
      async () => {
        owned = [(await readyz(a.port)).owned, (await readyz(b.port)).owned];
        return owned[0]!.length === 2 && owned[1]!.length === 2;
      },
      { message: 'both instances owning 2 partitions' },
    );
    expect([...owned[0]!, ...owned[1]!].sort()).toEqual([0, 1, 2, 3]);

    const expect4 = async (round: number): Promise<void> => {
      for (const [i, s] of streams.entries()) {
        const want = (1000 + round) * (i + 1) + (i + 1);
        await w.watch.until(s, (e) => e.total === want, `round ${round}`);
      }
    };
    await expect4(0);
    for (let round = 1; round <= 3; round++) {
      streams.forEach((s, i) => g1.set(s, (1000 + round) * (i + 1)));
      await expect4(round);
    }
    // One event per stream per change: a second publisher would have doubled them.
    for (const s of streams) expect(w.watch.of(s).length).toBe(4);
    const published = [
      await metric(a.port, 'roar_agg_publishes_total'),
      await metric(b.port, 'roar_agg_publishes_total'),
    ];
    const seenFor = (parts: number[]): number =>
      w.watch.events.filter((e) => parts.includes(partitionOf(e.stream, 4))).length;
    expect(published).toEqual([seenFor(owned[0]!), seenFor(owned[1]!)]);
  });
});
