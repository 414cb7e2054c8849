import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';
import { API_KEY } from './moderation-harness.js';

// A big stream's viewers are split into slices of ROAR_FANOUT_SLICE sockets, written one slice
// per event-loop turn. Tiny slices here make a stream of a few viewers behave like one of many
// thousands: several slices, and writes still queued when the next request arrives.

const chatIds = (c: TestClient, stream: string): string[] =>
  c.eventsOf(stream, 'chat').map((e) => e.id);

async function chat(sender: TestClient, stream: string, count: number, tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const ack = await sender.request({ type: 'chat', stream, text: `${tag}${i}` });
    if (ack.type !== 'ack' || ack.id === undefined)
      throw new Error(`refused: ${JSON.stringify(ack)}`);
    ids.push(ack.id);
  }
  return ids;
}

const FAST_CHAT = { ROAR_CHAT_RATE: '100', ROAR_CHAT_BURST: '100', ROAR_CHAT_BUDGET: '1000' };

describe('fanout in slices', () => {
  it('gives every viewer of a sliced stream every message once, in order; leavers get none', async () => {
    await using server = await startServer({ ...FAST_CHAT, ROAR_FANOUT_SLICE: '2' });
    const viewers: TestClient[] = [];
    for (let i = 0; i < 9; i++) {
      viewers.push(
        await server.viewer('big', { user: `v${i}`, codec: i % 3 ? 'msgpack' : 'json' }),
      );
    }
    const sender = viewers[0] as TestClient;
    const first = await chat(sender, 'big', 12, 'a');
    for (const v of viewers) {
      await v.waitForMessage(() => chatIds(v, 'big').length >= 12, 5000, 'the first 12');
    }

    const leaver = viewers[4] as TestClient;
    expect((await leaver.request({ type: 'leave', stream: 'big' })).type).toBe('left');
    const second = await chat(sender, 'big', 5, 'b');
    const stayed = viewers.filter((v) => v !== leaver);
    for (const v of stayed) {
      await v.waitForMessage(() => chatIds(v, 'big').length >= 17, 5000, 'all 17');
      expect(chatIds(v, 'big')).toEqual([...first, ...second]);
    }
    expect(chatIds(leaver, 'big')).toEqual(first);

    // Back in: the missed messages come as history, later ones once each.
    const joined = await leaver.request({ type: 'join', stream: 'big' });
    expect(joined.type === 'joined' && joined.history.map((e) => e.id)).toEqual([
      ...first,
      ...second,
    ]);
    const third = await chat(sender, 'big', 3, 'c');
    await leaver.waitForMessage(() => chatIds(leaver, 'big').length >= 15, 5000, 'the last 3');
    expect(chatIds(leaver, 'big')).toEqual([...first, ...third]);
    for (const v of stayed) {
      await v.waitForMessage(() => chatIds(v, 'big').length >= 20, 5000, 'all 20');
      expect(chatIds(v, 'big')).toEqual([...first, ...second, ...third]);
    }
  });

  it('a viewer joining while earlier batches are still being written gets each message once', async () => {
    // One socket per slice and per loop turn: every batch takes many turns to go out.
    await using server = await startServer({ ...FAST_CHAT, ROAR_FANOUT_SLICE: '1' });
    const crowd: TestClient[] = [];
    for (let i = 0; i < 30; i++) crowd.push(await server.viewer('rush', { user: `c${i}` }));
    const sender = crowd[0] as TestClient;

    const sent: Promise<string[]> = chat(sender, 'rush', 40, 'm');
    const joiners: { client: TestClient; history: string[] }[] = [];
    for (let i = 0; i < 8; i++) {
      // Joiners arrive at random moments during the writes: the scenario.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
      const client = await server.connect({ user: `late${i}` });
      await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
      const joined = await client.request({ type: 'join', stream: 'rush' });
      if (joined.type !== 'joined') throw new Error(JSON.stringify(joined));
      joiners.push({ client, history: joined.history.map((e) => e.id) });
    }
    const ids = await sent;
    const last = ids[ids.length - 1] as string;
    for (const { client, history } of joiners) {
      const seen = (): string[] => [...history, ...chatIds(client, 'rush')];
      await client.waitForMessage(() => seen().includes(last), 5000, 'the last message');
      // History up to the join, batches after it: together, every message exactly once.
      expect(seen()).toEqual(ids);
    }
    for (const c of crowd) {
      await c.waitForMessage(() => chatIds(c, 'rush').includes(last), 5000, 'the last message');
      expect(chatIds(c, 'rush')).toEqual(ids);
    }
  });

  it('tells every connection of a sliced gateway about a level change', async () => {
    await using server = await startServer({
      ROAR_FANOUT_SLICE: '1',
      ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
    });
    const viewers: TestClient[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await server.viewer(`s${i % 3}`, { user: `v${i}` }));
    const pin = (level: number | null) =>
      fetch(`${server.httpUrl}/admin/v1/degradation`, {
        method: 'PUT',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ level }),
      });
    expect((await pin(2)).status).toBe(200);
    for (const v of viewers) {
      await v.waitForMessage((m) => m.type === 'status' && m.level === 2, 5000, 'level 2');
    }
    expect((await pin(null)).status).toBe(200);
    for (const v of viewers) {
      await v.waitForMessage((m) => m.type === 'status' && m.level === 0, 15_000, 'level 0');
    }
  });
});

describe('fanout behind its writes', () => {
  it('merges what waits into fewer, fuller frames: no message lost, reordered or doubled', async () => {
    await using server = await startServer({ ...FAST_CHAT, ROAR_FANOUT_SLICE: '1' });
    const viewers: TestClient[] = [];
    for (let i = 0; i < 30; i++) {
      viewers.push(
        await server.viewer('busy', { user: `v${i}`, codec: i % 3 ? 'msgpack' : 'json' }),
      );
    }
    const sender = viewers[0] as TestClient;
    // A slow drain: another tenant's work costs every loop turn 2 ms, and the gateway writes one
    // socket per turn, so a batch takes 60 ms or more to reach all 30 viewers: three ticks.
    let busy = true;
    const hog = (): void => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      if (busy) setImmediate(hog);
    };
    setImmediate(hog);
    let ids: string[];
    try {
      ids = await chat(sender, 'busy', 30, 'm');
    } finally {
      busy = false;
    }
    const last = ids[ids.length - 1] as string;
    for (const v of viewers) {
      await v.waitForMessage(() => chatIds(v, 'busy').includes(last), 5000, 'the last message');
      expect(chatIds(v, 'busy')).toEqual(ids);
    }
    // Frames carrying chat: fewer than the messages, some with several.
    const frames = viewers[1]?.messages.flatMap((m) =>
      m.type === 'batch' && m.stream === 'busy'
        ? [m.events.filter((e) => e.type === 'chat').length]
        : [],
    );
    expect(frames?.filter((n) => n > 0).length).toBeLessThan(ids.length);
    expect(Math.max(...(frames ?? []))).toBeGreaterThan(1);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const coalesced = /^roar_fanout_coalesced_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1];
    expect(Number(coalesced)).toBeGreaterThan(0);
  });
});
