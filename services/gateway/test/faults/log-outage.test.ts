import { NatsServer, RedisServer, TestClient, waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { spawnGateway } from '../gateway-process.js';
import { token } from '../harness.js';

/** One counter or gauge from a Prometheus text, summed over its series matching `labels`. */
function sample(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      total += Number(line.split(' ').at(-1));
  }
  return total;
}

describe('the event log down: live only', () => {
  it('JetStream missing: chat is accepted and delivered, drops are counted, replay says 503', async () => {
    // NATS without JetStream: the bus works, the log cannot store anything.
    await using nats = await NatsServer.start();
    await using redis = await RedisServer.start();
    await using gw = await spawnGateway({
      ROAR_MODE: 'gateway',
      ROAR_WORKERS: '1',
      ROAR_NATS_URL: nats.url,
      ROAR_REDIS_URL: redis.url,
      ROAR_PREFIX: `lo${Date.now().toString(36)}`,
      ROAR_LOG: 'jetstream',
      ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
      ROAR_CHAT_RATE: '100',
      ROAR_CHAT_BURST: '100',
    });
    const metrics = async (): Promise<string> => (await fetch(`${gw.httpUrl}/metrics`)).text();
    const chatter = await TestClient.connect(gw.wsUrl, { token: await token('a') });
    const watcher = await TestClient.connect(gw.wsUrl, { token: await token('w') });
    try {
      for (const c of [chatter, watcher]) {
        await c.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
        expect(await c.request({ type: 'join', stream: 's' }, 10_000)).toMatchObject({
          type: 'joined',
        });
      }
      const started = performance.now();
      for (let i = 0; i < 5; i++) {
        expect(
          await chatter.request({ type: 'chat', stream: 's', text: `live ${i}` }),
        ).toMatchObject({ type: 'ack' });
      }
      // Live delivery does not wait for the log.
      await watcher.waitForMessage(
        () => watcher.eventsOf('s', 'chat').length === 5,
        5000,
        'live chat delivered',
      );
      expect(performance.now() - started).toBeLessThan(2000);
      // Each event not stored within 2 s is dropped and counted; the log says it is down.
      await waitFor(
        async () => sample(await metrics(), 'roar_log_dropped_total', 'reason="unavailable"') >= 5,
        { timeoutMs: 10_000, intervalMs: 200, message: 'the drops counted' },
      );
      expect(sample(await metrics(), 'roar_log_connected')).toBe(0);
      const replay = await fetch(`${gw.httpUrl}/v1/streams/s/replay?from=0&to=1000`);
      expect(replay.status).toBe(503);
    } finally {
      chatter.terminate();
      watcher.terminate();
    }
  });
});
