// Live widgets (issue 14) under faults, with gateway processes over real NATS and Redis: a
// gateway killed while its viewer watches (the viewer comes back elsewhere with the version it
// held and gets exactly what changed), and Redis down (writes refused and retried with their
// idempotency key once it is back; viewers keep what they have; a joiner gets the gateway's copy).
import type { StateEvent } from '@roar/protocol';
import { NatsServer, RedisServer, TestClient, waitFor } from '@roar/testkit';
import { expect, it } from 'vitest';
import { clusterEnv, gatewayProcess, type Node } from '../cluster-harness.js';
import { stateValues } from '../state-view.js';
import { allReady } from './moderation-kit.js';

const API_KEY = 'ops-key-0123456789abcdef0123456789abcdef';

async function write(
  node: Node,
  method: 'PUT' | 'DELETE',
  key: string,
  value?: unknown,
  idempotencyKey?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1/streams/live/state/${key}`, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(value !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(value !== undefined ? { body: JSON.stringify({ value }) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const states = (c: TestClient): StateEvent[] => c.eventsOf('live', 'state');
const view = (c: TestClient): Record<string, unknown> => stateValues(c, 'live');
const holds = (c: TestClient, want: Record<string, unknown>, what: string): Promise<unknown> =>
  c.waitForMessage(() => JSON.stringify(view(c)) === JSON.stringify(want), 10_000, what);

async function viewer(node: Node, stateVersion?: number): Promise<TestClient> {
  const c = await TestClient.connect(node.wsUrl);
  await c.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
  const joined = await c.request({
    type: 'join',
    stream: 'live',
    ...(stateVersion !== undefined ? { stateVersion } : {}),
  });
  expect(joined.type).toBe('joined');
  return c;
}

it('a killed gateway’s viewer resumes elsewhere with exactly the keys changed; Redis down refuses writes, keeps what viewers see, and retries land once', async () => {
  await using nats = await NatsServer.start();
  await using redis = await RedisServer.start({ persist: true });
  const prefix = `wf${Date.now().toString(36)}`;
  const env = { ...clusterEnv(nats, redis, prefix), ROAR_ADMIN_API_KEYS: `ops:${API_KEY}` };
  await using a = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'a' });
  await using b = await gatewayProcess({ ...env, ROAR_GATEWAY_ID: 'b' });
  await allReady(a, b);

  expect((await write(a, 'PUT', 'score', '0/0')).status).toBe(200);
  expect((await write(a, 'PUT', 'over', 1)).status).toBe(200);
  const onB = await viewer(b);
  await holds(onB, { score: '0/0', over: 1 }, 'the snapshot on b');
  const held = states(onB).at(-1)?.version ?? 0;

  // b dies with its viewer on it; the state moves on meanwhile.
  await b.process?.stop('SIGKILL');
  expect((await write(a, 'PUT', 'score', '4/0')).status).toBe(200);
  expect((await write(a, 'DELETE', 'over')).status).toBe(200);
  const last = await write(a, 'PUT', 'ball', 'four');
  const back = await viewer(a, held);
  await back.waitForMessage(() => states(back).length > 0, 5000, 'the delta on a');
  const delta = states(back)[0] as StateEvent;
  expect(delta.snapshot).toBeUndefined();
  expect(delta.version).toBe(last.body.version);
  expect(Object.keys(delta.changes).sort()).toEqual(['ball', 'over', 'score']);
  expect(delta.changes.over?.deleted).toBe(true);

  // Redis goes down: writes are refused, viewers keep their values, a joiner gets a's copy.
  const watcher = await viewer(a);
  await holds(watcher, { score: '4/0', ball: 'four' }, 'the state before the outage');
  await redis.kill();
  const refused = await write(a, 'PUT', 'score', '6/0', 'ball-2');
  expect(refused).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
  const joiner = await viewer(a);
  await holds(joiner, { score: '4/0', ball: 'four' }, 'a joiner during the outage');
  expect(view(watcher)).toEqual({ score: '4/0', ball: 'four' });

  // Back: the backend retries with the same key until it lands, then once more: one write.
  await redis.start();
  let landed: { status: number; body: Record<string, unknown> } | undefined;
  await waitFor(
    async () => (landed = await write(a, 'PUT', 'score', '6/0', 'ball-2')).status === 200,
    { timeoutMs: 15_000, intervalMs: 200, message: 'the write accepted once Redis is back' },
  );
  const again = await write(a, 'PUT', 'score', '6/0', 'ball-2');
  expect(again).toEqual({ status: 200, body: { ...landed?.body, replayed: true } });
  for (const c of [watcher, joiner, back]) await holds(c, { score: '6/0', ball: 'four' }, 'after');
});
