import { connectNatsBus, Subjects } from '@roar/bus';
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

// Reconnects take one pause (250–500 ms) once the server is back; room for a loaded machine.
const RECONNECT = { timeoutMs: 10_000 };

describe('a NATS restart', () => {
  it('is survived: the aggregator reconnects and totals flow again without a restart', async () => {
    const subjects = new Subjects(uniquePrefix());
    const watch = await ViewerWatch.open(brokers.nats.url, subjects);
    cleanup.push(() => watch.close());
    const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
    cleanup.push(() => gwBus.close());
    const g1 = new FakeGateway('g1', gwBus, subjects, 1).set('s', 500).start();
    const g2 = new FakeGateway('g2', gwBus, subjects, 1).set('s', 70);
    // One extra report puts g2's stream-list repeats out of step with g1's, as real gateways are.
    g2.report();
    g2.start();
    cleanup.push(
      () => g1.silence(),
      () => g2.silence(),
    );
    const svc = await startService({
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
      // Each NATS client comes back after its own random pause (up to 250 ms apart here), and
      // the warm-up after the reconnect (expiry intervals × report interval) must outlast that
      // spread plus one stream-list period, as it does with production intervals (3 × 1 s).
      ROAR_AGG_EXPIRY_INTERVALS: '8',
    });
    cleanup.push(() => svc.stop());
    await watch.until('s', (e) => e.total === 570, 'the total');

    await brokers.nats.stop();
    await waitFor(async () => (await readyz(svc.port)).status === 503, {
      message: 'readyz failing while NATS is down',
    });
    expect(await readyz(svc.port)).toMatchObject({ nats: false, redis: true, owned: [0] });
    expect(await metric(svc.port, 'roar_agg_nats_connected')).toBe(0);
    // Long enough for both gateways to expire: they have to be learnt again afterwards.
    await waitFor(async () => (await metric(svc.port, 'roar_agg_expired_gateways_total')) === 2, {
      message: 'both gateways expired during the outage',
    });
    const restartedAt = Date.now();
    await brokers.nats.start();
    await waitFor(async () => (await readyz(svc.port)).status === 200, {
      ...RECONNECT,
      message: 'readyz passing again',
    });
    const reconnectMs = Date.now() - restartedAt;

    // Published afresh although nothing changed: what went out during the outage was lost.
    await watch.until('s', (e) => e.at >= restartedAt && e.total === 570, 'the total again');
    g1.set('s', 800);
    await watch.until('s', (e) => e.total === 870, 'a change after the restart', 10_000);
    // Gateways expired during the outage come back one stream list at a time; a sum missing
    // one of them must not be published meanwhile.
    for (const e of watch.of('s', restartedAt)) expect([570, 870]).toContain(e.total);
    console.info(`NATS restart: aggregator ready again ${reconnectMs} ms after the server was`);
  });
});
