import { NatsServer, RedisServer, freePort, waitFor, type TestClient } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, gatewayInProcess, gatewayProcess } from './cluster-harness.js';

let nats: NatsServer;
let redis: RedisServer;

beforeAll(async () => {
  nats = await NatsServer.start({ monitor: true });
  redis = await RedisServer.start();
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
  await redis[Symbol.asyncDispose]();
});

const chatTexts = (c: TestClient, stream: string): string[] =>
  c.eventsOf(stream, 'chat').map((e) => e.text);

interface Connz {
  connections: { name?: string; subscriptions: number; out_msgs: number }[];
}
const connz = async (): Promise<Connz> =>
  (await (await fetch(nats.monitorUrl('connz?subs=1'))).json()) as Connz;

describe('a gateway process with several workers over one NATS connection', () => {
  it('holds one connection, receives chat once per process, and resubscribes after a restart', async () => {
    const p = `wb${Date.now().toString(36)}`;
    const port = String(await freePort());
    await using multi = await gatewayProcess({
      ...clusterEnv(nats, redis, p),
      ROAR_WORKERS: '3',
      ROAR_PORT: port,
      ROAR_GATEWAY_ID: `multi-${p}`,
    });
    await multi.process?.waitForOutput(
      /"worker":2.*"msg":"gateway listening"|"msg":"gateway listening".*"worker":2/,
      10_000,
    );
    await using other = await gatewayInProcess(clusterEnv(nats, redis, p));
    // The kernel spreads connections over the workers; 12 reach all three with high odds.
    const viewers: TestClient[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await multi.viewer('w', { user: `v${i}` }));
    const sender = await other.viewer('w', { user: 'sender' });

    const mine = (await connz()).connections.filter((c) => c.name === `multi-${p}`);
    expect(mine).toHaveLength(1);
    const before = (mine[0] as { out_msgs: number }).out_msgs;

    const r = await sender.request({ type: 'chat', stream: 'w', text: 'one' });
    expect(r.type).toBe('ack');
    for (const v of viewers) {
      await v.waitForMessage(() => chatTexts(v, 'w').includes('one'), 5000, 'chat on every worker');
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const shards = [...metrics.matchAll(/^roar_connections\{gateway="([^"]+)"\} (\d+)/gm)];
    expect(shards.filter((m) => Number(m[2]) > 0).length).toBeGreaterThan(1);
    // NATS sent the process that message once (out_msgs counts what the server wrote to it),
    // though several workers hold the stream.
    const after = (await connz()).connections.find((c) => c.name === `multi-${p}`);
    expect((after?.out_msgs ?? 0) - before).toBe(1);

    await nats.stop();
    await nats.start();
    await waitFor(() => other.bus?.connected ?? false, {
      timeoutMs: 15_000,
      message: 'other back',
    });
    await waitFor(
      async () => {
        const ack = await sender.request({
          type: 'chat',
          stream: 'w',
          text: `after ${Date.now()}`,
        });
        return (
          ack.type === 'ack' &&
          viewers.every((v) => chatTexts(v, 'w').some((t) => t.startsWith('after')))
        );
      },
      { timeoutMs: 20_000, intervalMs: 1100, message: 'chat reaches every worker again' },
    );
    expect((await connz()).connections.filter((c) => c.name === `multi-${p}`)).toHaveLength(1);
  });
});
