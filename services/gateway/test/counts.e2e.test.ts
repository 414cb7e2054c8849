import type { ViewersEvent } from '@roar/protocol';
import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';

const lastTotal = (c: TestClient, stream: string): number | undefined =>
  c.eventsOf(stream, 'viewers').at(-1)?.total;

async function totalBecomes(c: TestClient, stream: string, total: number): Promise<void> {
  await c.waitForMessage(() => lastTotal(c, stream) === total, 5000, `${stream} total ${total}`);
}

describe('viewer counts end to end', () => {
  it('counts joins, leaves and abrupt disconnects', async () => {
    await using server = await startServer();
    const a = await server.viewer('c');
    const b = await server.viewer('c');
    const c = await server.viewer('c');
    await totalBecomes(a, 'c', 3);
    expect(server.embedded.gateway.registry.get('c')?.viewers).toBe(3);

    expect(await b.request({ type: 'leave', stream: 'c' })).toMatchObject({
      type: 'left',
      stream: 'c',
    });
    await totalBecomes(a, 'c', 2);

    c.terminate(); // no close handshake: a phone losing signal
    await totalBecomes(a, 'c', 1);
    expect(server.embedded.gateway.registry.get('c')?.viewers).toBe(1);
  });

  it('pushes the count with display text, at most once per interval and only when it changed', async () => {
    await using server = await startServer({ ROAR_COUNT_INTERVAL_MS: '500' });
    const watcher = await server.viewer('p');
    for (let i = 0; i < 5; i++) await server.viewer('p');
    await totalBecomes(watcher, 'p', 6);
    const pushes = watcher.eventsOf('p', 'viewers');
    const pushFrames = watcher.messages.filter(
      (m) => m.type === 'batch' && m.events.some((e) => e.type === 'viewers'),
    ).length;
    expect(pushes.at(-1)).toMatchObject({ total: 6, text: '6 watching' });
    // Six joins in well under a second arrive as at most a few pushes, each a different total.
    expect(pushFrames).toBeLessThanOrEqual(3);
    const totals = pushes.map((p: ViewersEvent) => p.total);
    expect(new Set(totals).size).toBe(totals.length);
  });

  it("does not write the aggregator's refresh of an unchanged count to viewers", async () => {
    // The aggregator republishes a watched stream every 5 count intervals (here 100 ms each).
    await using server = await startServer({ ROAR_COUNT_INTERVAL_MS: '100' });
    const watcher = await server.viewer('r');
    await server.viewer('r');
    await totalBecomes(watcher, 'r', 2);
    const { stats } = server.embedded.aggregator;
    const from = stats.refreshes;
    await new Promise((r) => setTimeout(r, 1500));
    expect(stats.refreshes - from).toBeGreaterThanOrEqual(2);
    // Every push differs from the one before (the peak settles after a hold window: a change).
    const figures = watcher
      .eventsOf('r', 'viewers')
      .map((e: ViewersEvent) => JSON.stringify([e.total, e.uniques, e.peak, e.stale]));
    expect(figures.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < figures.length; i++) expect(figures[i]).not.toBe(figures[i - 1]);
    // A change still goes out.
    await server.viewer('r');
    await totalBecomes(watcher, 'r', 3);
  });

  it('tells a joining viewer the current total and keeps streams apart', async () => {
    await using server = await startServer();
    const a = await server.viewer('one');
    await server.viewer('one');
    await totalBecomes(a, 'one', 2);
    const other = await server.viewer('two');
    const late = await server.connect();
    const joined = await late.request({ type: 'join', stream: 'one' });
    expect(joined).toMatchObject({ type: 'joined', viewers: { total: 2, text: '2 watching' } });
    await totalBecomes(other, 'two', 1);
  });

  it('counts uniques by identity, not by connection', async () => {
    await using server = await startServer();
    const a1 = await server.viewer('u', { user: 'asha' });
    await server.viewer('u', { user: 'asha' });
    await server.viewer('u', { query: { anon: 'device-aaaaaaaa' } });
    await server.viewer('u', { query: { anon: 'device-aaaaaaaa' } });
    await a1.waitForMessage(
      () => a1.eventsOf('u', 'viewers').some((v) => v.total === 4 && v.uniques === 2),
      5000,
      'total 4, uniques 2',
    );
  });
});

describe('GET /v1/streams/{id}/viewers', () => {
  it('returns the count as cacheable JSON with an ETag and answers 304 when unchanged', async () => {
    await using server = await startServer({ ROAR_VIEWERS_MAX_AGE_S: '2' });
    const a = await server.viewer('http-s');
    await server.viewer('http-s');
    // Wait for the settled figures (uniques arrive with or after the total) so the body is stable.
    await a.waitForMessage(
      () => a.eventsOf('http-s', 'viewers').some((v) => v.total === 2 && v.uniques === 2),
      5000,
      'total and uniques',
    );
    const res = await fetch(`${server.httpUrl}/v1/streams/http-s/viewers`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=2');
    expect(await res.json()).toMatchObject({ stream: 'http-s', total: 2, text: '2 watching' });
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);

    const again = await fetch(`${server.httpUrl}/v1/streams/http-s/viewers`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);

    await server.viewer('http-s');
    await totalBecomes(a, 'http-s', 3);
    const changed = await fetch(`${server.httpUrl}/v1/streams/http-s/viewers`, {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers for streams nobody watches here and rejects bad ids', async () => {
    await using server = await startServer();
    const empty = await fetch(`${server.httpUrl}/v1/streams/nobody/viewers`);
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ stream: 'nobody', total: 0, text: '0 watching' });
    const bad = await fetch(`${server.httpUrl}/v1/streams/${encodeURIComponent('a.b')}/viewers`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_stream' } });
  });
});
