import { MemoryLog, type LogAppend } from '@roar/log';
import { silentLogger } from '@roar/runtime';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { DispatchOptions } from '../src/dispatcher.js';
import { MemoryDeadLetterJournal } from '../src/dead-letters.js';
import { parseEndpoints } from '../src/endpoints.js';
import { LogFeed } from '../src/log-feed.js';
import { WebhookService } from '../src/webhook-service.js';
import { Receiver } from './receiver.js';

const SECRET = 'whsec-test-secret-of-at-least-32-chars';
const KEY = 'ops-key-of-at-least-thirty-two-characters';

const FAST: DispatchOptions = {
  maxBatch: 500,
  waitMs: 1000,
  minIntervalMs: 0,
  timeoutMs: 300,
  maxAttempts: 3,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
};

function chat(id: string, ts = Date.now()): LogAppend {
  return { type: 'chat.published', id, ts, data: { id, user: { id: 'u', name: 'U' }, text: id } };
}

async function setup(receiver: Receiver, dispatch: Partial<DispatchOptions> = {}) {
  const log = new MemoryLog();
  const endpoints = parseEndpoints(
    [{ id: 'app', url: receiver.url, secret: SECRET, events: ['chat.published', 'chat.deleted'] }],
    false,
  );
  const service = await WebhookService.start({
    endpoints,
    feed: (e) => new LogFeed(log, e.events),
    dispatch: { ...FAST, ...dispatch },
    deadLetterMax: 100,
    deadLetterJournal: new MemoryDeadLetterJournal(),
    host: '127.0.0.1',
    port: 0,
    adminApiKeys: [{ name: 'ops', key: KEY }],
    log: silentLogger,
  });
  const admin = (path: string, init: RequestInit = {}, key: string | null = KEY) =>
    fetch(`http://127.0.0.1:${service.port}${path}`, {
      ...init,
      headers: key ? { 'x-api-key': key } : {},
    });
  return { log, service, admin, [Symbol.asyncDispose]: () => service.stop() };
}

describe('webhook delivery (memory log)', () => {
  it('delivers signed batches in order per stream, many events per request under a storm', async () => {
    await using receiver = await Receiver.start(SECRET);
    await using s = await setup(receiver);
    // A chat storm over 3 streams, plus an event type the endpoint did not ask for.
    for (let i = 0; i < 3000; i++) s.log.append(`s${i % 3}`, chat(`m${i}`));
    s.log.append('s0', {
      type: 'viewers.sample',
      id: 'v1',
      ts: Date.now(),
      data: { total: 5 },
    });
    await waitFor(() => receiver.events.length >= 3000, { timeoutMs: 15_000, message: '3000' });
    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.events.every((e) => e.type === 'chat.published')).toBe(true);
    for (const stream of ['s0', 's1', 's2']) {
      const seqs = receiver.events.filter((e) => e.stream === stream).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(1000);
    }
    // The storm was appended before the first request: few requests, each carrying hundreds.
    const perRequest = receiver.events.length / receiver.accepted.length;
    expect(perRequest).toBeGreaterThanOrEqual(100);
  });

  it('retries a failing or hanging endpoint with backoff, without reordering', async () => {
    await using receiver = await Receiver.start(SECRET);
    await using s = await setup(receiver, { maxAttempts: 100 });
    receiver.mode = 'fail';
    s.log.append('s', chat('a'));
    await waitFor(() => receiver.requests >= 2, { message: 'two failed attempts' });
    receiver.mode = 'hang';
    s.log.append('s', chat('b'));
    const before = receiver.requests;
    await waitFor(() => receiver.requests >= before + 2, { message: 'timed-out attempts' });
    receiver.mode = 'ok';
    s.log.append('s', chat('c'));
    await waitFor(() => receiver.events.some((e) => e.id === 'c'), { message: 'c delivered' });
    expect(receiver.events.map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('dead-letters after N failures, moves on, and redelivers through the admin API', async () => {
    await using receiver = await Receiver.start(SECRET);
    await using s = await setup(receiver);
    receiver.mode = 'fail';
    s.log.append('s', chat('lost'));
    await waitFor(() => s.service.deadLetters.list().length === 1, { message: 'dead letter' });
    expect(receiver.requests).toBe(FAST.maxAttempts);
    receiver.mode = 'ok';
    s.log.append('s', chat('next'));
    await waitFor(() => receiver.events.some((e) => e.id === 'next'), { message: 'next' });

    const failures = (await (await s.admin('/webhooks/v1/failures')).json()) as {
      failures: { id: string; events: number; attempts: number; lastError: string }[];
    };
    expect(failures.failures).toMatchObject([{ events: 1, attempts: 3, lastError: 'HTTP 500' }]);
    const id = failures.failures[0]!.id;
    const redelivered = await s.admin(`/webhooks/v1/failures/${id}/redeliver`, { method: 'POST' });
    expect(redelivered.status).toBe(200);
    expect(receiver.events.map((e) => e.id)).toEqual(['next', 'lost']);
    expect(s.service.deadLetters.list()).toEqual([]);
    const metrics = await (await s.admin('/metrics', {}, null)).text();
    expect(metrics).toMatch(/roar_webhook_dead_lettered_events_total\{endpoint="app"\} 1/);
    expect(metrics).toMatch(/roar_webhook_dead_letters\{endpoint="app"\} 0/);
  });

  it('refuses admin calls without a key, and unknown failures or endpoints', async () => {
    await using receiver = await Receiver.start(SECRET);
    await using s = await setup(receiver);
    expect((await s.admin('/webhooks/v1/endpoints', {}, null)).status).toBe(401);
    expect((await s.admin('/webhooks/v1/endpoints', {}, 'wrong-key')).status).toBe(401);
    const listed = (await (await s.admin('/webhooks/v1/endpoints')).json()) as {
      endpoints: Record<string, unknown>[];
    };
    expect(listed.endpoints).toMatchObject([
      { id: 'app', events: ['chat.published', 'chat.deleted'] },
    ]);
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    expect((await s.admin('/webhooks/v1/failures?endpoint=nope')).status).toBe(404);
    expect(
      (await s.admin('/webhooks/v1/failures/app-1-2/redeliver', { method: 'POST' })).status,
    ).toBe(404);
    expect((await s.admin('/webhooks/v1/failures/app-1-2/redeliver')).status).toBe(405);
    expect((await s.admin('/webhooks/v1/failures?endpoint=a%20b')).status).toBe(400);
    expect((await s.admin('/webhooks/v1/failures?since=1')).status).toBe(400);
    expect((await s.admin('/webhooks/v1/failures/x/redeliver', { method: 'POST' })).status).toBe(
      400,
    );
    expect((await s.admin('/webhooks/v1/failures/../x/redeliver', { method: 'POST' })).status).toBe(
      404,
    );
  });
});
