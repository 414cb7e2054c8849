// Issue 18 over real NATS and Redis with several gateways: a schedule put through one gateway's
// admin API reaches the others (news on the bus, the store at start), the named gateways hold
// the stream without counting anyone, keep it current, and serve a late viewer from memory.
import { waitFor, type TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { gatewayInProcess, type Node, useBrokers } from './cluster-harness.js';
import { API_KEY } from './moderation-harness.js';

const brokers = useBrokers('sc');
const prefix = brokers.prefix;

const env = (p: string, id: string) => ({
  ...brokers.env(p),
  ROAR_GATEWAY_ID: id,
  ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
});

async function admin(node: Node, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const warm = (node: Node, stream: string): boolean =>
  node.gateway?.registry.warmed().has(stream) ?? false;
const lastTotal = (c: TestClient, stream: string): number | undefined =>
  c.eventsOf(stream, 'viewers').at(-1)?.total;

describe('scheduled warm-up over real NATS and Redis', () => {
  it('warms the named gateways, counts nobody, keeps the stream current, and lets go on cancel', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(env(p, 'gw-a'));
    await using b = await gatewayInProcess(env(p, 'gw-b'));
    await using c = await gatewayInProcess(env(p, 'gw-c'));
    const startAt = new Date(Date.now() + 3_600_000).toISOString();
    const put = await admin(a, 'PUT', '/streams/toss/schedule', {
      startAt,
      warmAt: new Date().toISOString(),
      expectedViewers: 60_000,
      gateways: ['gw-a', 'gw-b'],
    });
    expect(put.status).toBe(201);
    // B heard it on the bus; C is not named.
    await waitFor(() => warm(a, 'toss') && warm(b, 'toss'), {
      timeoutMs: 5000,
      message: 'gw-a and gw-b warm the stream',
    });
    expect(warm(c, 'toss')).toBe(false);
    expect(c.gateway?.registry.get('toss')).toBeUndefined();
    for (const node of [a, b]) expect(node.gateway?.registry.get('toss')?.viewers).toBe(0);

    // One real viewer on C: the total is 1, the warm-ups count for nothing.
    const viewer = await c.viewer('toss', { user: 'v1' });
    await waitFor(() => lastTotal(viewer, 'toss') === 1, {
      timeoutMs: 5000,
      message: 'total 1',
    });
    // Chat and rules change while A holds the stream with nobody on it: A keeps them current.
    await viewer.request({ type: 'chat', stream: 'toss', text: 'before the toss' });
    const patch = await admin(c, 'PATCH', '/streams/toss/settings', { slowModeS: 4 });
    expect(patch.status).toBe(200);
    const held = a.gateway?.registry.get('toss');
    await waitFor(() => held?.mod.settings.slowModeS === 4 && held.recent.last(50).length >= 1, {
      timeoutMs: 5000,
      message: 'gw-a kept the warm stream current',
    });
    // A viewer arriving at A is answered from what A holds, history included.
    const late = await a.viewer('toss', { user: 'late' });
    const joined = late.messages.find((m) => m.type === 'joined');
    expect(joined?.type === 'joined' && joined.history.map((h) => h.text)).toEqual([
      'before the toss',
    ]);
    await waitFor(() => lastTotal(viewer, 'toss') === 2, { timeoutMs: 5000, message: 'total 2' });
    // The total never showed the two warm-ups as viewers.
    expect(viewer.eventsOf('toss', 'viewers').every((v) => v.total <= 2)).toBe(true);

    // The scale signal is the same everywhere.
    for (const node of [a, b, c]) {
      const scale = (await (await fetch(`http://127.0.0.1:${node.port}/v1/scale`)).json()) as {
        events: { stream: string }[];
      };
      expect(scale.events.map((e) => e.stream)).toEqual(['toss']);
    }

    // A gateway that starts later reads the schedule from the store.
    await using d = await gatewayInProcess(env(p, 'gw-a2'));
    expect(
      (
        await admin(d, 'PUT', '/streams/all-gw/schedule', {
          startAt,
          warmAt: new Date().toISOString(),
          expectedViewers: 1000,
        })
      ).status,
    ).toBe(201);
    await using e = await gatewayInProcess(env(p, 'gw-e'));
    await waitFor(() => warm(e, 'all-gw') && warm(a, 'all-gw') && warm(d, 'all-gw'), {
      timeoutMs: 5000,
      message: 'every gateway, the late one too, warms an unnamed plan',
    });
    expect(warm(e, 'toss')).toBe(false);

    expect((await admin(b, 'DELETE', '/streams/toss/schedule')).status).toBe(200);
    await waitFor(() => !warm(a, 'toss') && !warm(b, 'toss'), {
      timeoutMs: 5000,
      message: 'cancelled: the gateways let go',
    });
    // B held it for nobody: it is forgotten after the linger time.
    await waitFor(() => b.gateway?.registry.get('toss') === undefined, {
      timeoutMs: 5000,
      message: 'gw-b forgot the stream',
    });
    void agg;
  });
});
