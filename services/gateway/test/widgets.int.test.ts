import type { StateEvent } from '@roar/protocol';
import { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { gatewayInProcess, type Node, useBrokers } from './cluster-harness.js';
import { token } from './harness.js';
import { stateValues } from './state-view.js';

const API_KEY = 'ops-key-0123456789abcdef0123456789abcdef';
const brokers = useBrokers('w');
const prefix = brokers.prefix;

function gateway(p: string, env: Record<string, string> = {}): Promise<Node> {
  return gatewayInProcess({
    ...brokers.env(p),
    ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
    ...env,
  });
}

const states = (c: TestClient, stream: string): StateEvent[] => c.eventsOf(stream, 'state');
const view = stateValues;
const holds = (c: TestClient, stream: string, want: Record<string, unknown>): Promise<unknown> =>
  c.waitForMessage(
    () => JSON.stringify(view(c, stream)) === JSON.stringify(want),
    10_000,
    `${JSON.stringify(want)} (has ${JSON.stringify(view(c, stream))})`,
  );

async function put(
  node: Node,
  stream: string,
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1/streams/${stream}/state/${key}`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function caster(node: Node, stream: string, user = 'bc'): Promise<TestClient> {
  const client = await TestClient.connect(node.wsUrl, {
    token: await token(user, { roles: [`broadcaster:${stream}`] }),
  });
  await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
  return client;
}

describe('live widgets over real NATS and Redis, several gateways', () => {
  it('reaches viewers on every gateway; CAS and idempotency hold across gateways', async () => {
    const p = prefix();
    await using a = await gateway(p);
    await using b = await gateway(p);
    const onA = await a.viewer('m');
    const onB = await b.viewer('m');
    const castA = await caster(a, 'm', 'b1');
    const castB = await caster(b, 'm', 'b2');

    const first = await castA.request({
      type: 'widget',
      stream: 'm',
      key: 'score',
      op: 'set',
      value: '0/0',
    });
    const v = (first as { version: number }).version;
    await holds(onB, 'm', { score: '0/0' });
    await holds(onA, 'm', { score: '0/0' });

    // Both casters race on the same version from two gateways: exactly one write lands.
    const race = await Promise.all([
      castA.request({
        type: 'widget',
        stream: 'm',
        key: 'score',
        op: 'set',
        value: '4/0',
        ifVersion: v,
      }),
      castB.request({
        type: 'widget',
        stream: 'm',
        key: 'score',
        op: 'set',
        value: '6/0',
        ifVersion: v,
      }),
    ]);
    expect(race.filter((r) => r.type === 'ack')).toHaveLength(1);
    const loser = race.find((r) => r.type === 'error');
    expect(loser).toMatchObject({ code: 'version_conflict', version: v + 1 });
    const winner = race[0]?.type === 'ack' ? '4/0' : '6/0';
    await holds(onA, 'm', { score: winner });
    await holds(onB, 'm', { score: winner });

    // A backend retries a write through another gateway (the first answer was lost): once.
    const once = await put(a, 'm', 'over', { value: 12.3 }, { 'idempotency-key': 'over-12-3' });
    const twice = await put(b, 'm', 'over', { value: 12.3 }, { 'idempotency-key': 'over-12-3' });
    expect(once).toMatchObject({ status: 200, body: { replayed: false } });
    expect(twice).toEqual({ status: 200, body: { ...once.body, replayed: true } });
    await holds(onB, 'm', { score: winner, over: 12.3 });
    const overChanges = states(onB, 'm').filter((e) => e.changes.over !== undefined);
    // The replay republishes the same version, which viewers apply once (by version).
    expect(new Set(overChanges.map((e) => e.changes.over?.version)).size).toBe(1);
  });

  it('gives a new gateway the state from the store, and a reconnecting viewer exactly the keys changed since', async () => {
    const p = prefix();
    await using a = await gateway(p);
    const cast = await caster(a, 'r');
    for (const [key, value] of [
      ['score', '10/1'],
      ['over', 3],
      ['prob', 0.4],
    ] as const)
      await cast.request({ type: 'widget', stream: 'r', key, op: 'set', value });
    const viewer = await a.viewer('r', { user: 'fan' });
    await holds(viewer, 'r', { score: '10/1', over: 3, prob: 0.4 });
    const held = states(viewer, 'r').at(-1)?.version ?? 0;
    await viewer.close();

    await cast.request({ type: 'widget', stream: 'r', key: 'score', op: 'set', value: '14/1' });
    await cast.request({ type: 'widget', stream: 'r', key: 'prob', op: 'delete' });
    const last = await cast.request({
      type: 'widget',
      stream: 'r',
      key: 'ball',
      op: 'set',
      value: 'four',
    });

    // A gateway started after the writes has never heard them: it reads them from the store.
    await using b = await gateway(p);
    const fresh = await b.viewer('r', { user: 'late' });
    await holds(fresh, 'r', { score: '14/1', over: 3, ball: 'four' });
    expect(states(fresh, 'r')[0]?.snapshot).toBe(true);

    // The viewer comes back on the other gateway with the version it held.
    const back = await TestClient.connect(b.wsUrl, { token: await token('fan') });
    await back.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    await back.request({ type: 'join', stream: 'r', stateVersion: held });
    await back.waitForMessage(() => states(back, 'r').length > 0, 5000, 'the delta');
    const delta = states(back, 'r')[0] as StateEvent;
    expect(delta.snapshot).toBeUndefined();
    expect(delta.version).toBe((last as { version: number }).version);
    expect(Object.keys(delta.changes).sort()).toEqual(['ball', 'prob', 'score']);
    expect(delta.changes.prob?.deleted).toBe(true);
  });

  it('conflates 100 updates a second of one key to at most one frame per tick per viewer', async () => {
    const TICK_MS = 50;
    const p = prefix();
    await using a = await gateway(p, { ROAR_TICK_MS: String(TICK_MS) });
    await using b = await gateway(p, { ROAR_TICK_MS: String(TICK_MS) });
    const viewers = [
      await a.viewer('c'),
      await a.viewer('c'),
      await b.viewer('c'),
      await b.viewer('c'),
    ];
    const UPDATES = 200;
    const started = Date.now();
    const writes: Promise<unknown>[] = [];
    // Paced at 100 a second by the schedule, not by waiting on each answer (a backend pipelines).
    for (let i = 1; i <= UPDATES; i++) {
      const due = started + i * 10;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      writes.push(put(i % 2 ? a : b, 'c', 'prob', { value: i / 1000 }));
    }
    const replies = (await Promise.all(writes)) as { status: number }[];
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const lastWrite = Date.now();
    for (const viewer of viewers) await holds(viewer, 'c', { prob: UPDATES / 1000 });
    const elapsed = Date.now() - started;
    for (const viewer of viewers) {
      const frames = viewer.messages.filter(
        (m) => m.type === 'batch' && m.stream === 'c' && m.events.some((e) => e.type === 'state'),
      );
      // At most one frame per tick (plus one for a tick cut by the ends), and fewer frames than
      // updates: values were dropped for newer ones, never queued behind them.
      expect(frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / TICK_MS) + 2);
      expect(frames.length).toBeLessThan(UPDATES);
      const versions = states(viewer, 'c').map((e) => e.changes.prob?.version ?? 0);
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(states(viewer, 'c').every((e) => Object.keys(e.changes).length === 1)).toBe(true);
    }
    expect(Date.now() - lastWrite).toBeLessThan(5000);
  });
});
