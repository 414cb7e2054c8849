// Issue 11, finding 8: Redis restarting empty (no persistence) must not drop moderation: the
// gateways that knew the bans keep and restore them, and a gateway started afterwards enforces them.
import { GLOBAL_SCOPE } from '@roar/store';
import { NatsServer, RedisServer, waitFor } from '@roar/testkit';
import { expect, it } from 'vitest';
import { clusterEnv, gatewayProcess } from '../cluster-harness.js';
import {
  allReady,
  BAD,
  ChatProbe,
  FAULT_ENV,
  expectDataLossCounted,
  GOOD,
  seedModeration,
  readyz,
  testStore,
} from './moderation-kit.js';

it('after Redis restarts empty, no gateway (old or new) acks a banned, timed-out or banned-term message', async () => {
  await using nats = await NatsServer.start();
  await using redis = await RedisServer.start();
  const prefix = `f8${Date.now().toString(36)}`;
  await seedModeration(redis.url, prefix, 's8');
  // A short refresh: the old gateways' periodic reload runs against the emptied Redis in the test.
  const env = {
    ...clusterEnv(nats, redis, prefix),
    ...FAULT_ENV,
    ROAR_MODERATION_REFRESH_MS: '2000',
  };
  await using a = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'a' });
  await using b = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'b' });
  await allReady(a, b);
  const probe = new ChatProbe('s8');
  try {
    await probe.add('a', a.wsUrl);
    await probe.add('b', b.wsUrl);
    await waitFor(() => probe.ackedSince('a', GOOD, 0) && probe.ackedSince('b', GOOD, 0), {
      timeoutMs: 10_000,
      message: 'good users acked before the fault',
    });

    // Redis restarts without persistence: every ban, timeout and rule in it is gone.
    await redis.kill();
    await redis.start();
    const restarted = Date.now();
    // A gateway deployed now (production default grace: it waits for peers to restore Redis).
    const envFresh: Record<string, string> = { ...env, ROAR_GATEWAY_ID: 'c' };
    delete envFresh.ROAR_MODERATION_FRESH_STORE_GRACE_MS;
    await using c = await gatewayProcess(envFresh);
    await probe.add('c', c.wsUrl);
    await waitFor(() => probe.badUsersTried(['a', 'b', 'c'], restarted, 10), {
      timeoutMs: 20_000,
      message: 'banned users trying on every gateway after the restart',
    });
    expect(probe.badAcks(), JSON.stringify(probe.summary())).toEqual([]);
    await waitFor(() => probe.ackedSince('c', GOOD, restarted), {
      timeoutMs: 20_000,
      message: 'a good user acked on the new gateway',
    });
    // Past two of the old gateways' periodic reloads (time passing is the scenario: a reload
    // must not undo what the restore wrote back).
    await new Promise((r) => setTimeout(r, Math.max(0, restarted + 5000 - Date.now())));
    for (const g of [a, b, c]) expect(await readyz(g.port)).toBe(200);
    // The old gateways still take good users' chat after their periodic reloads.
    const late = Date.now();
    await waitFor(() => probe.ackedSince('a', GOOD, late) && probe.ackedSince('b', GOOD, late), {
      timeoutMs: 10_000,
      message: 'good users acked on the old gateways after the restore',
    });
    await expectDataLossCounted(a, b);
  } finally {
    await probe.stop();
  }
  expect(probe.badAcks(), JSON.stringify(probe.summary())).toEqual([]);
  expect(probe.slowModeBreaches(500), 'slow mode').toEqual([]);

  // The gateways wrote back what they knew, so the store has it again.
  const check = testStore(redis.url, prefix);
  await check.ready();
  try {
    expect(
      (await check.moderation.listBans(GLOBAL_SCOPE, Date.now())).map((x) => x.userId),
    ).toEqual([BAD.global]);
    expect((await check.moderation.listBans('s8', Date.now())).map((x) => x.userId).sort()).toEqual(
      [BAD.stream, BAD.timeout].sort(),
    );
    expect(await check.moderation.getSettings('s8')).toEqual({
      bannedTerms: ['forbiddenword'],
      slowModeS: 1,
    });
    const audit = await check.moderation.listAudit(GLOBAL_SCOPE, 10);
    expect(audit.some((e) => e.action === 'restore' && e.actor.startsWith('gateway:'))).toBe(true);
  } finally {
    await check.close();
  }
}, 120_000);
