// Issue 18, fair admission end to end: a real gateway refusing a storm, SDK clients over `ws`
// that see only a failed dial (as a browser does), ask GET /v1/admission, report their place,
// and get in at their time with the ticket.
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { StatusChange } from '../src/index.js';
import { startServer } from './gateway-server.js';

describe('fair admission against a gateway', () => {
  it('refused clients report their place, come back at their time and all get in, in order', async () => {
    // 4 a second, a burst of 1: of 8 clients dialling at once, one gets in, 7 queue.
    await using server = await startServer({
      ROAR_ADMISSION_RATE: '4',
      ROAR_ADMISSION_BURST: '1',
    });
    const clients = Array.from({ length: 8 }, () => server.client());
    const statuses = clients.map(() => [] as StatusChange[]);
    const openedAt: number[] = [];
    clients.forEach((c, i) =>
      c.on('status', (s) => {
        statuses[i]?.push(s);
        if (s.state === 'open') openedAt[i] = Date.now();
      }),
    );
    const started = Date.now();
    for (const c of clients) void c.connect().catch(() => undefined);
    await waitFor(() => openedAt.filter((t) => t !== undefined).length === 8, {
      timeoutMs: 15_000,
      message: 'every client admitted',
    });
    const queued = statuses.filter((list) => list.some((s) => s.position !== undefined));
    expect(queued.length).toBeGreaterThanOrEqual(6);
    // Each queued client was told a place and a wait, then got in no earlier than that wait.
    for (const [i, list] of statuses.entries()) {
      const place = list.find((s) => s.position !== undefined);
      if (!place) continue;
      expect(place.state).toBe('reconnecting');
      expect(place.delayMs).toBeGreaterThanOrEqual(0);
      expect((openedAt[i] ?? 0) - started).toBeGreaterThanOrEqual((place.delayMs ?? 0) - 300);
    }
    // Paced at 4 a second: seven queued take at least 1.5 s, and the ticket order holds: a
    // smaller place never got in after a larger one by more than the pacing's slack.
    expect(Math.max(...openedAt) - started).toBeGreaterThanOrEqual(1500);
    const byPlace = statuses
      .map((list, i) => ({ place: list.find((s) => s.position !== undefined)?.position, i }))
      .filter((x): x is { place: number; i: number } => x.place !== undefined)
      .sort((a, b) => a.place - b.place);
    for (let k = 1; k < byPlace.length; k++) {
      const before = openedAt[byPlace[k - 1]?.i ?? 0] ?? 0;
      const after = openedAt[byPlace[k]?.i ?? 0] ?? 0;
      expect(after - before, `place ${byPlace[k]?.place}`).toBeGreaterThanOrEqual(-300);
    }
  });

  it('GET /v1/admission hands out a place, keeps it for a ticket holder, refuses nonsense', async () => {
    await using server = await startServer({ ROAR_ADMISSION_RATE: '2', ROAR_ADMISSION_BURST: '1' });
    const base = server.url.replace('ws://', 'http://').replace(/\/ws$/, '');
    const ask = async (ticket?: string) => {
      const q = ticket === undefined ? '' : `?ticket=${encodeURIComponent(ticket)}`;
      const res = await fetch(`${base}/v1/admission${q}`);
      return {
        status: res.status,
        cache: res.headers.get('cache-control'),
        body: await res.json(),
      };
    };
    const first = await ask();
    const second = await ask();
    expect(first.status).toBe(200);
    expect(first.cache).toBe('no-store');
    const a = first.body as { ticket: string; position: number; retryAfterMs: number };
    const b = second.body as { ticket: string; position: number; retryAfterMs: number };
    // Two places 500 ms apart (2 a second).
    expect(b.retryAfterMs - a.retryAfterMs).toBeGreaterThanOrEqual(400);
    // Asking again with the second ticket keeps its place: no later than it was.
    const again = (await ask(b.ticket)).body as { retryAfterMs: number };
    expect(again.retryAfterMs).toBeLessThanOrEqual(b.retryAfterMs);
    expect((await ask('x'.repeat(201))).status).toBe(400);
  });
});
