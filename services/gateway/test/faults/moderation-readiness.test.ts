// Issue 11, finding 3: a gateway that starts while Redis does not answer must not report ready,
// nor let a globally banned user chat, before global bans are loaded.
import { NatsServer, RedisServer, waitFor } from '@roar/testkit';
import { expect, it } from 'vitest';
import { clusterEnv, gatewayProcess } from '../cluster-harness.js';
import { ChatProbe, FAULT_ENV, GOOD, metric, seedModeration, readyz } from './moderation-kit.js';

it('a gateway starting while Redis is stalled is not ready and acks no banned user until its bans are loaded', async () => {
  await using nats = await NatsServer.start();
  await using redis = await RedisServer.start();
  const prefix = `f3${Date.now().toString(36)}`;
  await seedModeration(redis.url, prefix, 's3');
  const env = {
    ...clusterEnv(nats, redis, prefix),
    ...FAULT_ENV,
  };
  await using old = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'old' });
  await waitFor(async () => (await readyz(old.port)) === 200, {
    timeoutMs: 15_000,
    message: 'the running gateway ready',
  });
  const probe = new ChatProbe('s3');
  try {
    await probe.add('old', old.wsUrl);

    // A deploy starts a new gateway while Redis is stalled (a slow start, a failover).
    redis.pause();
    await using fresh = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'fresh' });
    await probe.add('fresh', fresh.wsUrl);
    const stalledUntil = Date.now() + 4000;
    while (Date.now() < stalledUntil) {
      expect(await readyz(fresh.port), '/readyz while global bans are not loaded').toBe(503);
      // Probe pacing through the 4 s stall (the scenario), not a settle.
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await metric(fresh.port, 'roar_moderation_global_bans_loaded')).toBe(0);

    redis.resume();
    const resumed = Date.now();
    await waitFor(async () => (await readyz(fresh.port)) === 200, {
      timeoutMs: 15_000,
      message: 'the new gateway ready once Redis answers',
    });
    await waitFor(() => probe.ackedSince('fresh', GOOD, resumed), {
      timeoutMs: 15_000,
      message: 'a good user acked on the new gateway',
    });
    // Banned users keep trying for a while after the load, on both gateways: a window in which
    // no banned message may be acked (the scenario), not a wait for something to settle.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await probe.stop();
  }
  expect(probe.badAcks(), JSON.stringify(probe.summary())).toEqual([]);
  expect(probe.slowModeBreaches(500), 'slow mode').toEqual([]);
  expect(probe.ackedSince('old', GOOD, 0), JSON.stringify(probe.summary())).toBe(true);
}, 90_000);
