import { connectNatsBus, Subjects, type NatsBus } from '@roar/bus';
import { describe, expect, it } from 'vitest';
import type { AggregatorService } from '../src/aggregator-service.js';
import {
  FakeGateway,
  metric,
  startService,
  uniquePrefix,
  ViewerWatch,
  useBrokers,
} from './harness.js';

const brokers = useBrokers();
const { cleanup } = brokers;

async function setup(): Promise<{ subjects: Subjects; gwBus: NatsBus; watch: ViewerWatch }> {
  const prefix = uniquePrefix();
  const subjects = new Subjects(prefix);
  const watch = await ViewerWatch.open(brokers.nats.url, subjects);
  cleanup.push(() => watch.close());
  const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
  cleanup.push(() => gwBus.close());
  return { subjects, gwBus, watch };
}

async function service(subjects: Subjects): Promise<AggregatorService> {
  const svc = await startService({
    ROAR_PREFIX: subjects.prefix,
    ROAR_NATS_URL: brokers.nats.url,
    ROAR_REDIS_URL: brokers.redis.url,
  });
  cleanup.push(() => svc.stop());
  return svc;
}

describe('aggregator totals', () => {
  it('publishes the sum over gateways; a silent gateway leaves after expiry, a bye at once', async () => {
    const { subjects, gwBus, watch } = await setup();
    const gateways = [
      new FakeGateway('g1', gwBus, subjects, 1).set('match', 1000),
      new FakeGateway('g2', gwBus, subjects, 1).set('match', 200),
      new FakeGateway('g3', gwBus, subjects, 1).set('match', 30),
    ];
    for (const g of gateways) cleanup.push(() => g.silence());
    // Gateways first: the aggregator's warm-up must wait for every stream list, never publish
    // a sum that is missing a gateway.
    for (const g of gateways) g.start();
    const svc = await service(subjects);
    await watch.until('match', (e) => e.total === 1230, 'the sum of three gateways');
    // A peak counts once its total held through a clean window (no gateway overdue).
    await watch.until('match', (e) => e.peak === 1230, 'the peak once 1230 held');
    expect(new Set(watch.of('match').map((e) => e.total))).toEqual(new Set([1230]));

    const [g1, g2, g3] = gateways as [FakeGateway, FakeGateway, FakeGateway];
    const silencedAt = Date.now();
    g3.silence();
    const expired = await watch.until('match', (e) => e.total === 1200, 'g3 expired');
    const expiryMs = expired.at - silencedAt;
    // Three 100 ms intervals after its last report, which was at most one interval before.
    expect(expiryMs).toBeGreaterThanOrEqual(150);
    expect(await metric(svc.port, 'roar_agg_expired_gateways_total')).toBe(1);

    const byeAt = Date.now();
    g2.bye();
    const left = await watch.until('match', (e) => e.total === 1000, 'g2 said goodbye');
    expect(await metric(svc.port, 'roar_agg_byes_total')).toBe(1);
    // Removed by the goodbye, not by expiry.
    expect(await metric(svc.port, 'roar_agg_expired_gateways_total')).toBe(1);
    expect(left.peak).toBe(1230);

    g1.set('match', 1500);
    await watch.until('match', (e) => e.total === 1500 && e.peak === 1500, 'a new peak');
    expect(new Set(watch.of('match').map((e) => e.total))).toEqual(
      new Set([1230, 1200, 1000, 1500]),
    );
    console.info(`expiry after ${expiryMs} ms of silence; bye applied in ${left.at - byeAt} ms`);
  });

  it('sums each stream on its own', async () => {
    const { subjects, gwBus, watch } = await setup();
    const a = new FakeGateway('a', gwBus, subjects, 1).set('s1', 5).set('s2', 7).start();
    const b = new FakeGateway('b', gwBus, subjects, 1).set('s2', 11).set('s3', 13).start();
    cleanup.push(
      () => a.silence(),
      () => b.silence(),
    );
    await service(subjects);
    await watch.until('s1', (e) => e.total === 5, 's1');
    await watch.until('s2', (e) => e.total === 18, 's2');
    await watch.until('s3', (e) => e.total === 13, 's3');
  });
});
