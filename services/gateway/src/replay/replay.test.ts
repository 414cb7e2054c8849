import { MemoryLog, type EventLog, type LogEvent } from '@roar/log';
import { silentLogger } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpReply } from '../base/http.js';
import { BucketCache, REPLAY_BUCKET_MS } from './buckets.js';
import { RemovalIndex } from './removals.js';
import { replayRoutes } from './replay-routes.js';
import { StreamLog } from './stream-log.js';

const T0 = 1_800_000_000_000; // a bucket boundary
const user = { id: 'u1', name: 'Ann' };

function setup(log: EventLog = new MemoryLog()) {
  let now = T0;
  const clock = { now: () => now, set: (t: number) => (now = t) };
  const buckets = new BucketCache({ log, now: clock.now });
  const removals = new RemovalIndex({ log, now: clock.now });
  const [window, bucket] = replayRoutes({
    buckets,
    removals,
    log: silentLogger,
    access: undefined,
  });
  const get = async (route: typeof window, path: string, params: Record<string, string>) => {
    const url = new URL(path, 'http://x');
    const req = {
      method: 'get',
      path: url.pathname,
      query: url.searchParams,
      params,
      header: () => undefined,
      body: undefined,
      ip: '127.0.0.1',
    } satisfies HttpRequest;
    const reply = (await route!.handler(req)) as HttpReply;
    return {
      status: reply.status,
      cache: reply.headers?.['cache-control'],
      body: JSON.parse(String(reply.body)) as {
        events: LogEvent[];
        version: number;
        buckets: { url: string; version: number }[];
      },
    };
  };
  const replay = (from: number, to: number) =>
    get(window, `/v1/streams/s/replay?from=${from}&to=${to}`, { id: 's' });
  const oneBucket = (from: number, v?: number) =>
    get(bucket, `/x${v === undefined ? '' : `?v=${v}`}`, { id: 's', from: String(from) });
  return { log, clock, buckets, replay, oneBucket, streamLog: new StreamLog(log) };
}

const chat = (id: string, ts: number) => ({ type: 'chat' as const, id, ts, user, text: id });
const ids = (events: LogEvent[]) => events.map((e) => e.id);

describe('replay', () => {
  it('returns a window in time order, chat and reaction bursts, and nothing outside it', async () => {
    const { log, replay, streamLog } = setup();
    streamLog.published('s', chat('a', T0 + 1000));
    log.append('s', {
      type: 'reactions.burst',
      id: 'r1',
      ts: T0 + 1500,
      data: { counts: { '🔥': 2 }, windowMs: 250 },
    });
    streamLog.published('s', chat('b', T0 + 12_000));
    streamLog.published('s', chat('c', T0 + 25_000));
    streamLog.published('other', chat('x', T0 + 1200));
    const r = await replay(T0 + 500, T0 + 20_000);
    expect(r.status).toBe(200);
    expect(ids(r.body.events)).toEqual(['a', 'r1', 'b']);
    expect(r.body.buckets.map((b) => b.url)).toEqual([
      `/v1/streams/s/replay/buckets/${T0}?v=0`,
      `/v1/streams/s/replay/buckets/${T0 + REPLAY_BUCKET_MS}?v=0`,
    ]);
  });

  it('never replays a message deleted after the broadcast, and versions its bucket anew', async () => {
    const { clock, replay, oneBucket, streamLog } = setup();
    streamLog.published('s', chat('keep', T0 + 1000));
    streamLog.published('s', chat('gone', T0 + 2000));
    clock.set(T0 + 60_000);
    const before = await oneBucket(T0, 0);
    expect(ids(before.body.events)).toEqual(['keep', 'gone']);
    expect(before.cache).toBe('public, max-age=31536000, immutable');
    // A moderator deletes it long after (the stream may have ended).
    clock.set(T0 + 120_000);
    streamLog.action('s', 'delete', 'mod', T0 + 120_000, 'gone');
    const after = await oneBucket(T0);
    expect(ids(after.body.events)).toEqual(['keep']);
    expect(after.body.version).toBeGreaterThan(0);
    // The old URL no longer carries an immutable copy; the new one does.
    expect((await oneBucket(T0, 0)).cache).toBe('public, max-age=5');
    expect((await oneBucket(T0, after.body.version)).cache).toContain('immutable');
    const window = await replay(T0, T0 + 10_000);
    expect(ids(window.body.events)).toEqual(['keep']);
    expect(window.body.buckets[0]!.version).toBe(after.body.version);
  });

  it('applies a clear to what came before it, and a ban to its user, not to later chat', async () => {
    const { replay, streamLog } = setup();
    streamLog.published('s', chat('early', T0 + 1000));
    streamLog.action('s', 'clear', 'mod', T0 + 2000);
    streamLog.published('s', chat('late', T0 + 3000));
    streamLog.published('s', { ...chat('troll', T0 + 3500), user: { id: 'u2', name: 'T' } });
    streamLog.action('s', 'ban', 'mod', T0 + 4000, 'u2', 'spam');
    streamLog.published('s', chat('later', T0 + 5000));
    const r = await replay(T0, T0 + 10_000);
    expect(ids(r.body.events)).toEqual(['late', 'later']);
  });

  it('reads a hot bucket from the log once, however many viewers ask at once', async () => {
    const { log, clock, replay, streamLog } = setup();
    for (let i = 0; i < 50; i++) streamLog.published('s', chat(`m${i}`, T0 + i * 100));
    clock.set(T0 + 30_000);
    const readsBefore = log.stats().reads;
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => replay(T0, T0 + REPLAY_BUCKET_MS)),
    );
    expect(replies.every((r) => r.body.events.length === 50)).toBe(true);
    // One bucket read, and one read per removal type for the stream's deletion index.
    expect(log.stats().reads - readsBefore).toBe(1 + 3);
  });

  it('fails closed: when the log cannot be read, 503 rather than a replay', async () => {
    const log = new MemoryLog();
    const broken: EventLog = {
      append: (s, e) => log.append(s, e),
      read: () => Promise.reject(new Error('log down')),
      flush: () => log.flush(),
      connected: false,
      stats: () => log.stats(),
      close: () => log.close(),
    };
    const { replay } = setup(broken);
    const r = await replay(T0, T0 + 1000);
    expect(r.status).toBe(503);
  });

  it('refuses windows it does not serve with a typed error', async () => {
    const { replay, oneBucket } = setup();
    expect((await replay(T0 + 10, T0)).status).toBe(400);
    expect((await replay(T0, T0 + 301_000)).status).toBe(400);
    expect((await oneBucket(T0 + 5)).status).toBe(400);
  });
});
