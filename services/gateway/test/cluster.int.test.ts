import { freePort, waitFor, type TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { REPORT_MS, gatewayInProcess, gatewayProcess, useBrokers } from './cluster-harness.js';

const brokers = useBrokers('c');
const prefix = brokers.prefix;

const lastTotal = (c: TestClient, stream: string): number | undefined =>
  c.eventsOf(stream, 'viewers').at(-1)?.total;
const totalIs = (
  c: TestClient,
  stream: string,
  total: number,
  timeoutMs = 5000,
): Promise<unknown> =>
  c.waitForMessage(() => lastTotal(c, stream) === total, timeoutMs, `${stream} total ${total}`);
const chatTexts = (c: TestClient, stream: string): string[] =>
  c.eventsOf(stream, 'chat').map((e) => e.text);

describe('gateways over real NATS and Redis', () => {
  it('carries chat from gateway A to viewers on gateway B, and history across them', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    await using b = await gatewayInProcess(brokers.env(p));
    const onA = await a.viewer('x', { user: 'asha' });
    const onB = await b.viewer('x', { user: 'ben' });
    await onA.request({ type: 'chat', stream: 'x', text: 'from A' });
    await onB.request({ type: 'chat', stream: 'x', text: 'from B' });
    for (const c of [onA, onB]) {
      await c.waitForMessage(() => chatTexts(c, 'x').length === 2, 5000, 'both messages');
      expect(chatTexts(c, 'x').sort()).toEqual(['from A', 'from B']);
    }
    // A gateway that never held the stream reads its history from Redis once.
    await using c = await gatewayInProcess(brokers.env(p));
    const late = await c.viewer('x', { user: 'late' });
    const joined = late.messages.find((m) => m.type === 'joined');
    expect(joined?.type === 'joined' && joined.history.map((h) => h.text).sort()).toEqual([
      'from A',
      'from B',
    ]);
    void agg;
  });

  it('sums counts over gateways and pushes the same total to viewers on both', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    await using b = await gatewayInProcess(brokers.env(p));
    const viewers = [await a.viewer('s'), await a.viewer('s'), await b.viewer('s')];
    for (const v of viewers) await totalIs(v, 's', 3);
    const res = await fetch(`http://127.0.0.1:${b.port}/v1/streams/s/viewers`);
    expect(await res.json()).toMatchObject({ total: 3, text: '3 watching' });
    void agg;
  });

  it('runs several worker shards on one port, each reporting, with merged metrics', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    const port = String(await freePort());
    await using multi = await gatewayProcess({
      ...brokers.env(p),
      ROAR_WORKERS: '2',
      ROAR_PORT: port,
    });
    // Both workers must listen before the viewers connect: the port answers once either does,
    // and connections made before the other joins the port all reach the first.
    for (const worker of [0, 1])
      await multi.process?.waitForOutput(
        new RegExp(
          `"worker":${worker}.*"msg":"gateway listening"|"msg":"gateway listening".*"worker":${worker}`,
        ),
        10_000,
      );
    // The kernel spreads connections over the workers; enough of them reach both.
    const viewers: TestClient[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await multi.viewer('w'));
    await totalIs(viewers[0] as TestClient, 'w', 12);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const shards = [...metrics.matchAll(/^roar_connections\{gateway="([^"]+)"\} (\d+)/gm)];
    expect(shards.map((m) => m[1]).sort()).toHaveLength(2);
    expect(shards.reduce((sum, m) => sum + Number(m[2]), 0)).toBe(12);
    // All 12 on one shard has odds of 1 in 2,048 with an even spread.
    expect(shards.every((m) => Number(m[2]) > 0)).toBe(true);
    void agg;
  });

  it('drops a killed gateway’s viewers from the total within the expiry', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    await using doomed = await gatewayProcess(brokers.env(p));
    const watcher = await a.viewer('k');
    for (let i = 0; i < 3; i++) await doomed.viewer('k');
    await totalIs(watcher, 'k', 4);
    doomed.process?.child.kill('SIGKILL');
    const killedAt = Date.now();
    await totalIs(watcher, 'k', 1, 10_000);
    const took = Date.now() - killedAt;
    // Expiry is 3 report intervals; allow one more interval and a publish for the news to arrive.
    expect(took).toBeLessThan(5 * REPORT_MS + 1000);
    void agg;
  });

  it('survives a NATS restart: viewers stay connected and fanout resumes by itself', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    await using b = await gatewayInProcess(brokers.env(p));
    const onA = await a.viewer('n', { user: 'asha' });
    const onB = await b.viewer('n', { user: 'ben' });
    await brokers.nats.stop();
    const during = await onA.request({ type: 'chat', stream: 'n', text: 'while down' });
    expect(during).toMatchObject({ type: 'error', code: 'unavailable' });
    await brokers.nats.start();
    await waitFor(() => (a.bus?.connected ?? false) && (b.bus?.connected ?? false), {
      timeoutMs: 15_000,
      message: 'gateways reconnected',
    });
    expect(onA.isOpen && onB.isOpen).toBe(true);
    await waitFor(
      async () => {
        const r = await onA.request({ type: 'chat', stream: 'n', text: `after ${Date.now()}` });
        return r.type === 'ack' && chatTexts(onB, 'n').some((t) => t.startsWith('after'));
      },
      { timeoutMs: 15_000, intervalMs: 1100, message: 'chat flows again' },
    );
    void agg;
  });

  it('keeps chat flowing while Redis is down and counts the missing history', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    const v = await a.viewer('r', { user: 'asha' });
    await brokers.redis.stop();
    try {
      expect((await v.request({ type: 'chat', stream: 'r', text: 'no redis' })).type).toBe('ack');
      await v.waitForMessage(
        () => chatTexts(v, 'r').includes('no redis'),
        3000,
        'delivered without Redis',
      );
      const other = await a.viewer('fresh', { user: 'ben' });
      expect(other.isOpen).toBe(true);
      await waitFor(
        async () => {
          const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
          return (
            /roar_history_write_failures_total\{[^}]*\} [1-9]/.test(metrics) &&
            /roar_history_load_failures_total\{[^}]*\} [1-9]/.test(metrics)
          );
        },
        { timeoutMs: 5000, message: 'failures counted' },
      );
    } finally {
      await brokers.redis.start();
    }
    void agg;
  });

  it('resumes across gateways with exactly the missed messages', async () => {
    const p = prefix();
    await using agg = await brokers.aggregator(p);
    await using a = await gatewayInProcess(brokers.env(p));
    await using b = await gatewayInProcess(brokers.env(p));
    const talker = await b.viewer('m', { user: 'talker' });
    const reader = await a.viewer('m', { user: 'reader' });
    await talker.request({ type: 'chat', stream: 'm', text: 'seen' });
    await reader.waitForMessage(() => chatTexts(reader, 'm').includes('seen'), 3000, 'seen');
    const lastSeen = reader.eventsOf('m', 'chat').at(-1)?.id;
    reader.terminate();
    for (const text of ['missed 1', 'missed 2']) {
      await talker.request({ type: 'chat', stream: 'm', text });
    }
    await talker.waitForMessage(() => chatTexts(talker, 'm').length === 3, 3000, 'talker saw all');
    const back = await b.viewer('other-stream', { user: 'reader' });
    const resumed = await back.request({ type: 'join', stream: 'm', since: lastSeen });
    expect(resumed).toMatchObject({ type: 'joined', resumed: true, gap: false });
    expect(resumed.type === 'joined' && resumed.history.map((h) => h.text)).toEqual([
      'missed 1',
      'missed 2',
    ]);
    void agg;
  });
});
