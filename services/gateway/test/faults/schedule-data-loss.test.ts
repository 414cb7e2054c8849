// Issue 18: Redis restarting empty (no persistence) must not drop a scheduled match: the gateway
// that notices restores moderation and says `reload`, and every gateway writes back the events it
// knew; the warm-ups and the scale signal carry on throughout.
import { NatsServer, RedisServer, waitFor } from '@roar/testkit';
import { expect, it } from 'vitest';
import { clusterEnv, gatewayProcess } from '../cluster-harness.js';
import { API_KEY } from '../moderation-harness.js';
import { allReady, expectDataLossCounted, FAULT_ENV, metric } from './moderation-kit.js';

it('after Redis restarts empty, the gateways write the schedule back and keep the stream warm', async () => {
  await using nats = await NatsServer.start();
  await using redis = await RedisServer.start();
  const prefix = `f18${Date.now().toString(36)}`;
  const env = {
    ...clusterEnv(nats, redis, prefix),
    ...FAULT_ENV,
    ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
  };
  await using a = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'a' });
  await using b = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'b' });
  await allReady(a, b);
  const schedule = (port: number, method = 'GET', body?: unknown) =>
    fetch(`http://127.0.0.1:${port}/admin/v1/streams/match/schedule`, {
      method,
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const put = await schedule(a.port, 'PUT', {
    startAt: new Date(Date.now() + 3_600_000).toISOString(),
    warmAt: new Date().toISOString(),
    expectedViewers: 50_000,
  });
  expect(put.status).toBe(201);
  const stored = await put.json();
  const warm = async () =>
    (await metric(a.port, 'roar_scheduled_warm_streams')) === 1 &&
    (await metric(b.port, 'roar_scheduled_warm_streams')) === 1;
  await waitFor(warm, { timeoutMs: 10_000, message: 'both gateways warm the stream' });

  // Redis restarts without persistence: the schedule is gone from it.
  await redis.kill();
  await redis.start();
  await waitFor(async () => (await schedule(b.port)).status === 200, {
    timeoutMs: 20_000,
    message: 'the schedule written back to the emptied Redis',
  });
  expect(await (await schedule(b.port)).json()).toEqual(stored);
  // Warm throughout, and still after the gateways' next reads of the store.
  expect(await warm()).toBe(true);
  const needed = await metric(b.port, 'roar_scheduled_gateways_needed');
  expect(needed).toBeGreaterThanOrEqual(0);
  await expectDataLossCounted(a, b);
});
