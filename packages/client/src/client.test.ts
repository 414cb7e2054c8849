import { CloseCode } from '@roar/protocol';
import { describe, expect, it, vi } from 'vitest';
import { ANON_ID_KEY, memoryStorage } from './anon-id.js';
import { RoarClient } from './index.js';
import { RoarClientError } from './errors.js';
import { harness } from '../test/client-harness.js';
import { FakeNetwork, settle } from '../test/fakes.js';

describe('RoarClient connection', () => {
  it('connects: connecting, then open once the server welcomes it', async () => {
    const h = harness();
    const connected = h.client.connect();
    expect(h.client.state).toBe('connecting');
    await settle();
    expect(h.net.last.request).toMatchObject({
      url: 'wss://roar.test/ws',
      token: undefined,
      anonId: h.client.anonId,
    });
    expect(h.client.state).toBe('connecting');
    h.net.last.welcome({ session: 'abc' });
    await expect(connected).resolves.toMatchObject({ type: 'welcome', session: 'abc' });
    expect(h.seen.status).toEqual([{ state: 'connecting' }, { state: 'open' }]);
    expect(h.seen.welcome).toHaveLength(1);
    await expect(h.client.connect()).resolves.toMatchObject({ session: 'abc' });
  });

  it('is ready for requests by the time status says open', async () => {
    const h = harness();
    const pings: Promise<number>[] = [];
    h.client.on('status', (s) => {
      if (s.state === 'open') pings.push(h.client.ping());
    });
    const t = await h.open();
    expect(t.last('ping')).toMatchObject({ type: 'ping' });
    t.push({ type: 'pong', ref: t.last('ping').ref ?? -1, ts: 0 });
    await expect(pings[0]).resolves.toBe(0);
  });

  it('reports an undecodable frame as bad_frame and carries on', async () => {
    const h = harness();
    const t = await h.open();
    t.listener?.message('{not json');
    expect(h.seen.error[0]).toMatchObject({ code: 'bad_frame' });
    expect(h.client.state).toBe('open');
  });

  it('sends the token instead of the anonymous id when signed in', async () => {
    const h = harness({ token: 'jwt-1' });
    await h.open();
    expect(h.net.last.request).toMatchObject({ token: 'jwt-1', anonId: undefined });
  });

  it('reconnects with exponential backoff: each delay is random in [0, min(max, 500·2^n))', async () => {
    const h = harness();
    await h.open();
    h.net.last.drop(1006);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const status = h.seen.status.at(-1);
      expect(status).toMatchObject({ state: 'reconnecting', attempt, closeCode: 1006 });
      const delay = status?.delayMs ?? -1;
      delays.push(delay);
      const before = h.net.transports.length;
      h.clock.advance(delay - 1);
      await settle();
      expect(h.net.transports.length).toBe(before);
      h.clock.advance(1);
      await settle();
      expect(h.net.transports.length).toBe(before + 1);
      h.net.last.drop(1006);
    }
    // random() is 0.5: half of each ceiling.
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('keeps every delay within [0, ceiling) for random draws at the extremes', async () => {
    const draws = [0, 0.999_999, 0, 0.999_999];
    const h = harness({
      random: () => draws.shift() ?? 0.5,
      reconnect: { initialDelayMs: 100, maxDelayMs: 250 },
    });
    await h.open();
    h.net.last.drop(1001);
    for (let i = 0; i < 3; i++) {
      await h.redial();
      h.net.last.drop(1001);
    }
    const delays = h.seen.status.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs);
    expect(delays).toEqual([0, 199, 0, 249]);
  });

  it('resets the backoff once a connection has stayed open for resetAfterMs', async () => {
    const h = harness({ reconnect: { resetAfterMs: 5000 } });
    await h.open();
    h.net.last.drop(1006);
    await h.redial();
    h.net.last.drop(1006);
    await h.redial();
    h.net.last.welcome();
    // Open, but dropped too soon to count: the backoff keeps growing.
    h.clock.advance(4999);
    h.net.last.drop(4002);
    expect(h.seen.status.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 3 });
    await h.redial();
    h.net.last.welcome();
    h.clock.advance(5000);
    h.net.last.drop(4000);
    expect(h.seen.status.at(-1)).toMatchObject({ attempt: 1, delayMs: 250, closeCode: 4000 });
  });

  it('does not reconnect after 4501: closed, with an error event carrying the reason', async () => {
    const h = harness({ token: 'bad' });
    const connected = h.client.connect();
    await settle();
    h.net.last.push({ type: 'error', code: 'token_invalid', message: 'token rejected' });
    h.net.last.drop(CloseCode.Unauthorized);
    await expect(connected).rejects.toMatchObject({ code: 'token_invalid', closeCode: 4501 });
    expect(h.seen.error).toHaveLength(1);
    expect(h.seen.error[0]).toMatchObject({ code: 'token_invalid', closeCode: 4501 });
    expect(h.seen.status.at(-1)).toEqual({ state: 'closed', closeCode: 4501 });
    h.clock.advance(120_000);
    await settle();
    expect(h.net.transports).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
  });

  it('ends in closed with connection_refused for a do-not-reconnect code without a reason', async () => {
    const h = harness();
    await h.open();
    h.net.last.drop(4503);
    expect(h.seen.error[0]).toMatchObject({ code: 'connection_refused', closeCode: 4503 });
    expect(h.client.state).toBe('closed');
  });

  it('calls the token function on every connection attempt', async () => {
    let calls = 0;
    const h = harness({ token: () => `jwt-${++calls}` });
    await h.open();
    expect(h.net.last.request?.token).toBe('jwt-1');
    h.net.last.drop(1006);
    await h.redial();
    expect(h.net.last.request?.token).toBe('jwt-2');
    h.net.last.drop(4000);
    await h.redial();
    expect(h.net.last.request?.token).toBe('jwt-3');
  });

  it('after 4502 asks the token function once more, then gives up if that token fails too', async () => {
    let calls = 0;
    const h = harness({ token: async () => `jwt-${++calls}` });
    await h.open();
    h.net.last.drop(CloseCode.TokenExpired);
    expect(h.seen.error).toEqual([]);
    await h.redial();
    expect(h.net.last.request?.token).toBe('jwt-2');
    h.net.last.welcome();
    // The fresh token worked; a later expiry gets its one retry again.
    h.net.last.drop(CloseCode.TokenExpired);
    await h.redial();
    expect(h.net.last.request?.token).toBe('jwt-3');
    h.net.last.push({ type: 'error', code: 'token_expired', message: 'token expired' });
    h.net.last.drop(CloseCode.TokenExpired);
    expect(h.client.state).toBe('closed');
    expect(h.seen.error).toHaveLength(1);
    expect(h.seen.error[0]).toMatchObject({ code: 'token_expired', closeCode: 4502 });
    expect(calls).toBe(3);
  });

  it('does not retry 4502 with a fixed token: it would be the same expired token', async () => {
    const h = harness({ token: 'fixed' });
    await h.open();
    h.net.last.drop(CloseCode.TokenExpired);
    expect(h.client.state).toBe('closed');
  });

  it('reports a failing token function as token_error and retries with backoff', async () => {
    let fail = true;
    const h = harness({
      token: () => {
        if (fail) throw new Error('auth service down');
        return 'jwt';
      },
    });
    const connected = h.client.connect();
    await settle();
    expect(h.net.transports).toHaveLength(0);
    expect(h.seen.error[0]).toMatchObject({ code: 'token_error' });
    expect(h.client.state).toBe('reconnecting');
    fail = false;
    await h.redial();
    h.net.last.welcome();
    await expect(connected).resolves.toMatchObject({ type: 'welcome' });
  });

  it('waits at least the delay a reconnect hint asked for, plus jitter', async () => {
    const h = harness();
    await h.open();
    h.net.last.push({ type: 'reconnect', delayMs: 7000 });
    h.net.last.drop(CloseCode.ServerRestart);
    expect(h.seen.status.at(-1)).toMatchObject({ state: 'reconnecting', delayMs: 7250 });
    h.clock.advance(7249);
    await settle();
    expect(h.net.transports).toHaveLength(1);
    await h.redial();
    // The hint was for that close only.
    h.net.last.drop(1006);
    expect(h.seen.status.at(-1)).toMatchObject({ delayMs: 500 });
  });

  it('treats a connection that gets no welcome in time as dropped', async () => {
    const h = harness({ requestTimeoutMs: 3000 });
    void h.client.connect();
    await settle();
    h.clock.advance(3000);
    expect(h.net.transports[0]?.closedByClient).toBeDefined();
    expect(h.seen.status.at(-1)).toMatchObject({ state: 'reconnecting', closeCode: 1006 });
  });

  it('ignores message types it does not know', async () => {
    const h = harness();
    await h.open();
    h.net.last.push({ type: 'poll', question: 'who wins?' });
    expect(h.seen.error).toEqual([]);
    expect(h.client.state).toBe('open');
  });

  it('emits server errors that answer no request', async () => {
    const h = harness();
    await h.open();
    h.net.last.push({ type: 'error', code: 'flood', message: 'slow down', retryAfterMs: 50 });
    expect(h.seen.error[0]).toBeInstanceOf(RoarClientError);
    expect(h.seen.error[0]).toMatchObject({ code: 'flood', retryAfterMs: 50 });
  });

  it('close() rejects what is pending, stops reconnecting and emits nothing more', async () => {
    const h = harness();
    const t = await h.open();
    const chat = h.client.sendChat('s', 'hi');
    h.client.close();
    await expect(chat).rejects.toMatchObject({ code: 'closed' });
    expect(t.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
    expect(h.seen.status.at(-1)).toEqual({ state: 'closed' });
    const statuses = h.seen.status.length;
    h.client.close();
    h.clock.advance(60_000);
    await settle();
    expect(h.seen.status).toHaveLength(statuses);
    expect(h.net.transports).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
    await expect(h.client.ping()).rejects.toMatchObject({ code: 'closed' });
  });

  it('close() during the backoff wait cancels the reconnect', async () => {
    const h = harness();
    await h.open();
    h.net.last.drop(1006);
    h.client.close();
    h.clock.advance(60_000);
    await settle();
    expect(h.net.transports).toHaveLength(1);
  });
});

describe('RoarClient requests', () => {
  it('times out a request with no reply after requestTimeoutMs', async () => {
    const h = harness({ requestTimeoutMs: 2000 });
    await h.open();
    const chat = h.client.sendChat('s', 'anyone?');
    h.clock.advance(2000);
    await expect(chat).rejects.toMatchObject({ code: 'timeout' });
  });

  it('rejects in-flight requests with disconnected when the connection drops', async () => {
    const h = harness();
    const t = await h.open();
    const chat = h.client.sendChat('s', 'hello');
    const ping = h.client.ping();
    t.drop(1006);
    await expect(chat).rejects.toMatchObject({ code: 'disconnected' });
    await expect(ping).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('rejects requests made while not connected with disconnected', async () => {
    const h = harness();
    await expect(h.client.sendChat('s', 'hi')).rejects.toMatchObject({ code: 'disconnected' });
    await expect(h.client.ping()).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('resolves chat with the server id and time, and carries rate_limited with retryAfterMs', async () => {
    const h = harness();
    const t = await h.open();
    const ok = h.client.sendChat('s', '  trimmed  ');
    const sent = t.last('chat');
    expect(sent).toMatchObject({ stream: 's', text: 'trimmed' });
    t.push({ type: 'ack', ref: sent.ref ?? -1, id: 'c1', ts: 42 });
    await expect(ok).resolves.toEqual({ id: 'c1', ts: 42, held: false });
    const limited = h.client.sendChat('s', 'again');
    const ref = t.last('chat').ref ?? -1;
    t.push({ type: 'error', ref, code: 'rate_limited', message: 'too fast', retryAfterMs: 900 });
    const error: unknown = await limited.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoarClientError);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 900 });
  });

  it('measures ping round trips', async () => {
    const h = harness();
    const t = await h.open();
    const ping = h.client.ping();
    h.clock.advance(40);
    t.push({ type: 'pong', ref: t.last('ping').ref ?? -1, ts: h.clock.now() });
    await expect(ping).resolves.toBe(40);
  });

  it('refuses bad arguments with invalid_argument without touching the network', async () => {
    const h = harness();
    const t = await h.open();
    const attempts: Promise<unknown>[] = [
      h.client.join(''),
      h.client.join('has space'),
      h.client.join('x'.repeat(65)),
      h.client.leave('bad/id'),
      h.client.sendChat('bad/id', 'hi'),
      h.client.sendChat('s', ''),
      h.client.sendChat('s', '   '),
      h.client.sendChat('s', 'x'.repeat(501)),
      h.client.sendChat('s', 'line\nbreak'),
      h.client.sendChat('s', 'bidi \u202E trick'),
      h.client.sendChat('s', 'lone \uD800 surrogate'),
      h.client.react('s', ''),
      h.client.react('s', '🔥'.repeat(17)),
      h.client.react('bad id', '🔥'),
    ];
    for (const attempt of attempts) {
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    expect(t.sent).toEqual([]);
  });

  it('refuses bad options when constructed', () => {
    const net = new FakeNetwork();
    const base = { url: 'wss://x/ws', transport: net.factory };
    expect(() => new RoarClient({ ...base, url: 'https://x/ws' })).toThrow(/ws:\/\//);
    expect(() => new RoarClient({ ...base, url: 'not a url' })).toThrow(RoarClientError);
    expect(() => new RoarClient({ ...base, anonId: 'short' })).toThrow(/anonId/);
    expect(() => new RoarClient({ ...base, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => new RoarClient({ ...base, reconnect: { multiplier: 0.5 } })).toThrow(/multiplier/);
    // Without a WebSocket of its own or a global one (Node 20 has none; Node 22 has one).
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => new RoarClient({ url: 'wss://x/ws', WebSocket: undefined })).toThrow(
        /WebSocket/,
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('RoarClient anonymous id', () => {
  it('generates an id once, keeps it in storage and uses it for every connection', async () => {
    const storage = memoryStorage();
    const h = harness({ storage });
    const id = h.client.anonId;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(storage.getItem(ANON_ID_KEY)).toBe(id);
    await h.open();
    h.net.last.drop(1006);
    await h.redial();
    expect(h.net.transports.map((t) => t.request?.anonId)).toEqual([id, id]);
    // A reload: a new client on the same storage is the same viewer.
    expect(harness({ storage }).client.anonId).toBe(id);
    expect(harness().client.anonId).not.toBe(id);
  });

  it('uses an explicit anonId as given, and survives storage that throws', () => {
    expect(harness({ anonId: 'device-1234' }).client.anonId).toBe('device-1234');
    const broken = {
      getItem(): string | null {
        throw new Error('SecurityError');
      },
      setItem(): void {
        throw new Error('QuotaExceededError');
      },
    };
    expect(harness({ storage: broken }).client.anonId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
