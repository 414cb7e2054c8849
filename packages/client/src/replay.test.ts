import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../test/fakes.js';
import { httpBase } from './http-base.js';
import { Replay, type ReplayFetch } from './replay.js';

const B = 10_000;
const T = 1_800_000_000_000; // a bucket boundary

interface Ev {
  v: 1;
  type: string;
  id: string;
  stream: string;
  ts: number;
  seq: number;
  data: Record<string, unknown>;
}

/** The gateway's replay endpoints over a list of events, counting requests. */
function fakeServer(clock: FakeClock) {
  const events: Ev[] = [];
  const requests: string[] = [];
  let seq = 0;
  const fetch: ReplayFetch = async (url) => {
    requests.push(url);
    const u = new URL(url);
    const body = (): unknown => {
      if (u.pathname.endsWith('/replay')) {
        const from = Number(u.searchParams.get('from'));
        const to = Number(u.searchParams.get('to'));
        const buckets = [];
        for (let b = from - (from % B); b < to; b += B)
          buckets.push({ from: b, to: b + B, url: `/v1/streams/s/replay/buckets/${b}?v=0` });
        return { bucketMs: B, buckets };
      }
      const from = Number(u.pathname.split('/').pop());
      return {
        final: clock.now() >= from + B + 5000,
        events: events.filter((e) => e.ts >= from && e.ts < from + B),
      };
    };
    return { ok: true, status: 200, json: async () => body() };
  };
  const chat = (id: string, ts: number) =>
    events.push({
      v: 1,
      type: 'chat.published',
      id,
      stream: 's',
      ts,
      seq: ++seq,
      data: { id, user: { id: 'u', name: 'U' }, text: id },
    });
  return { fetch, requests, chat, events };
}

function setup(position: () => number, clock: FakeClock, server = fakeServer(clock)) {
  const live: (string | undefined)[] = [];
  const replay = new Replay(
    {
      stream: 's',
      base: 'http://gw',
      fetch: server.fetch,
      clock,
      goLive: async (since) => live.push(since),
    },
    { position },
  );
  const chat: string[] = [];
  const seeks: number[] = [];
  replay.on('chat', (e) => chat.push(e.event.text));
  replay.on('seek', (e) => seeks.push(e.position));
  return { replay, server, chat, seeks, live };
}

/** Advances the clock in steps, letting fetches settle between them. */
async function run(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

describe('Replay', () => {
  it('emits each message when the player reaches its time, not before', async () => {
    const clock = new FakeClock(T + 600_000);
    let pos = T + 500;
    const server = fakeServer(clock);
    server.chat('a', T + 1000);
    server.chat('b', T + 3000);
    server.chat('c', T + 12_000);
    const { chat } = setup(() => pos, clock, server);
    await run(clock, 300);
    expect(chat).toEqual([]);
    pos = T + 1000;
    await run(clock, 200);
    expect(chat).toEqual(['a']);
    pos = T + 2999;
    await run(clock, 200);
    expect(chat).toEqual(['a']);
    pos = T + 4000;
    await run(clock, 200);
    expect(chat).toEqual(['a', 'b']);
    // Paused: the position stays; nothing more comes however long it waits.
    await run(clock, 5000);
    expect(chat).toEqual(['a', 'b']);
    pos = T + 8000;
    await run(clock, 200);
    pos = T + 12_000;
    await run(clock, 200);
    expect(chat).toEqual(['a', 'b', 'c']);
  });

  it('prefetches the next buckets before the player gets there', async () => {
    const clock = new FakeClock(T + 600_000);
    let pos = T + 1000;
    const { server } = setup(() => pos, clock);
    await run(clock, 500);
    const buckets = server.requests.filter((u) => u.includes('/buckets/'));
    expect(buckets.some((u) => u.includes(`/buckets/${T + 2 * B}`))).toBe(true);
    // Final buckets are fetched once: moving through them costs no new request.
    const before = server.requests.length;
    pos = T + 15_000;
    await run(clock, 500);
    expect(server.requests.filter((u) => u.includes(`/buckets/${T + B}`)).length).toBe(1);
    expect(server.requests.length - before).toBeLessThanOrEqual(2);
  });

  it('on a seek, says so and plays the chat of the new moment, its recent past first', async () => {
    const clock = new FakeClock(T + 600_000);
    const server = fakeServer(clock);
    for (let i = 0; i < 100; i++) server.chat(`m${i}`, T + i * 1000);
    let pos = T + 90_500;
    const { chat, seeks } = setup(() => pos, clock, server);
    await run(clock, 500);
    // The first position plays the 15 s before it (backfill), then goes on.
    expect(chat).toEqual(Array.from({ length: 15 }, (_, i) => `m${76 + i}`));
    chat.length = 0;
    pos = T + 30_500; // the viewer drags back a minute
    await run(clock, 500);
    expect(seeks).toEqual([T + 30_500]);
    expect(chat).toEqual(Array.from({ length: 15 }, (_, i) => `m${16 + i}`));
    chat.length = 0;
    pos = T + 32_500;
    await run(clock, 300);
    expect(chat).toEqual(['m31', 'm32']);
  });

  it('waits for a bucket that has not arrived rather than skip it', async () => {
    const clock = new FakeClock(T + 600_000);
    const server = fakeServer(clock);
    server.chat('late-bucket', T + B + 500);
    let hold = true;
    const slow: ReplayFetch = async (url, init) => {
      while (hold && url.includes(`/buckets/${T + B}`)) await settle();
      return server.fetch(url, init);
    };
    let pos = T + 1000;
    const { chat } = setup(() => pos, clock, { ...server, fetch: slow });
    await run(clock, 300);
    pos = T + B + 2000;
    await run(clock, 300);
    expect(chat).toEqual([]);
    hold = false;
    await run(clock, 300);
    expect(chat).toEqual(['late-bucket']);
  });

  it('emits a message appended late to a bucket at the live edge once, and goes live from the last', async () => {
    const clock = new FakeClock(T + 2000);
    const server = fakeServer(clock);
    server.chat('a', T + 500);
    const { chat, replay, live } = setup(() => clock.now() - 1000, clock, server);
    await run(clock, 1500);
    expect(chat).toEqual(['a']);
    // Appended with a time the playhead has passed (the log's append delay).
    server.chat('b', T + 1200);
    server.chat('c', clock.now() - 500);
    await run(clock, 2500);
    expect(chat).toEqual(['a', 'b', 'c']);
    await replay.goLive();
    expect(live).toEqual(['c']);
    await run(clock, 2000);
    expect(chat).toEqual(['a', 'b', 'c']);
  });

  it('emits reaction bursts and viewer samples with the live events’ types', async () => {
    const clock = new FakeClock(T + 600_000);
    const server = fakeServer(clock);
    server.events.push(
      {
        v: 1,
        type: 'reactions.burst',
        id: 'r1',
        stream: 's',
        ts: T + 1000,
        seq: 1,
        data: { counts: { '🔥': 4 }, windowMs: 250 },
      },
      {
        v: 1,
        type: 'viewers.sample',
        id: 'v1',
        stream: 's',
        ts: T + 2000,
        seq: 2,
        data: { total: 1234, peak: 2000, uniques: 5000 },
      },
    );
    let pos = T + 500;
    const { replay } = setup(() => pos, clock, server);
    const got: unknown[] = [];
    replay.on('reactions', (e) => got.push(e));
    replay.on('viewers', (e) => got.push(e));
    await run(clock, 200);
    pos = T + 2500;
    await run(clock, 300);
    expect(got).toEqual([
      { stream: 's', counts: { '🔥': 4 }, windowMs: 250 },
      {
        stream: 's',
        viewers: { total: 1234, text: '1.2K watching', peak: 2000, uniques: 5000 },
      },
    ]);
  });

  it('derives the HTTP base from the WebSocket URL', () => {
    expect(httpBase('wss://chat.example.com/ws')).toBe('https://chat.example.com');
    expect(httpBase('ws://127.0.0.1:8080/roar/ws?x=1')).toBe('http://127.0.0.1:8080/roar');
  });

  it('sends the client’s token, and reports the server’s refusal with its code', async () => {
    const clock = new FakeClock(T);
    const seen: (string | undefined)[] = [];
    let allowed = false;
    const fetch: ReplayFetch = async (_, init) => {
      seen.push(init.headers?.authorization);
      if (!allowed)
        return {
          ok: false,
          status: 403,
          json: async () => ({ error: { code: 'join_denied', message: 'subscribers only' } }),
        };
      return { ok: true, status: 200, json: async () => ({ bucketMs: B, buckets: [] }) };
    };
    let token = 'tok-1';
    const replay = new Replay(
      {
        stream: 's',
        base: 'http://gw',
        fetch,
        token: async () => token,
        clock,
        goLive: async () => undefined,
      },
      { position: () => T },
    );
    const errors: { code: string; message: string }[] = [];
    replay.on('error', (e) => errors.push({ code: e.code, message: e.message }));
    await run(clock, 200);
    expect(seen[0]).toBe('Bearer tok-1');
    expect(errors[0]).toEqual({
      code: 'join_denied',
      message: 'replay: HTTP 403: subscribers only',
    });
    // A fresh token (the viewer subscribed): the retry carries it.
    token = 'tok-2';
    allowed = true;
    await run(clock, 1500);
    expect(seen.at(-1)).toBe('Bearer tok-2');
    replay.stop();
  });
});
