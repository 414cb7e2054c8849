import { ErrorCode } from '@roar/protocol';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { FakeApp } from './fixtures/fake-app.js';
import { startServer, type TestServer } from './harness.js';

interface Check {
  user: string | null;
  stream: string;
}

/** The app: who is signed in by cookie, who may join what, and a word it rewrites. */
async function fakeApp(): Promise<FakeApp> {
  return FakeApp.start((path, body) => {
    if (path === '/connect') {
      const cookie = typeof body.cookie === 'string' ? body.cookie : '';
      const user = /session=([a-z]+)/.exec(cookie)?.[1];
      if (!user || user === 'nobody') return { user: null };
      return { user: { id: user, name: user.toUpperCase(), roles: [] }, ttlS: 60 };
    }
    if (path === '/join') {
      const checks = body.checks as Check[];
      return {
        results: checks.map(({ user }) => {
          if (user?.startsWith('paid')) return { allow: true, ttlS: 60 };
          if (user?.startsWith('sub')) return { allow: true, roles: ['subscriber'], ttlS: 60 };
          if (user?.startsWith('brief')) return { allow: true, expiresAt: Date.now() + 300 };
          return { allow: false, reason: 'subscribers only', ttlS: 60 };
        }),
      };
    }
    const text = String(body.text);
    return text.includes('darn')
      ? { action: 'rewrite', text: text.replaceAll('darn', '****') }
      : { action: 'allow' };
  });
}

async function joinAs(server: TestServer, user: string, stream = 's') {
  const client = await server.connect({ user });
  await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
  return { client, reply: await client.request({ type: 'join', stream }, 10_000) };
}

describe('backend hooks', () => {
  it('join: a denied viewer gets join_denied and no history; allowed viewers get roles', async () => {
    await using app = await fakeApp();
    await using server = await startServer({ ROAR_HOOK_JOIN_URL: app.url('/join') });
    const sub = await joinAs(server, 'sub-1');
    expect(sub.reply).toMatchObject({ type: 'joined', stream: 's' });
    const ack = await sub.client.request({ type: 'chat', stream: 's', text: 'hi' });
    expect(ack.type).toBe('ack');
    await waitFor(() => sub.client.events('s').some((e) => e.type === 'chat'), {
      timeoutMs: 5000,
      message: 'own chat',
    });
    const chat = sub.client.events('s').find((e) => e.type === 'chat');
    expect(chat).toMatchObject({ user: { id: 'sub-1', roles: ['subscriber'] } });

    const free = await joinAs(server, 'free-1');
    expect(free.reply).toMatchObject({
      type: 'error',
      code: ErrorCode.JoinDenied,
      stream: 's',
      message: 'subscribers only',
    });
    // Denied before anything of the stream was sent, and not counted in it.
    expect(free.client.messages.some((m) => m.type === 'joined' || m.type === 'batch')).toBe(false);
    const chatting = await free.client.request({ type: 'chat', stream: 's', text: 'let me in' });
    expect(chatting).toMatchObject({ type: 'error', code: ErrorCode.NotJoined });
  });

  it('join: cached per (user, stream), identical checks coalesced, the rest batched', async () => {
    await using app = await fakeApp();
    await using server = await startServer({
      ROAR_HOOK_JOIN_URL: app.url('/join'),
      ROAR_HOOK_JOIN_BATCH_MS: '50',
      ROAR_ADMISSION_BURST: '5000',
    });
    const users = Array.from({ length: 60 }, (_, i) => `paid-${i}`);
    // Each user on two connections at once: 120 joins, 60 distinct decisions.
    const clients = await Promise.all(
      [...users, ...users].map(async (user) => {
        const client = await server.connect({ user });
        await client.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
        return client;
      }),
    );
    const replies = await Promise.all(
      clients.map((c) => c.request({ type: 'join', stream: 'toss' }, 15_000)),
    );
    expect(replies.every((r) => r.type === 'joined')).toBe(true);
    const calls = app.calls('/join');
    const checked = calls.flatMap((c) => c.body.checks as Check[]);
    expect(checked).toHaveLength(60);
    expect(new Set(checked.map((c) => c.user)).size).toBe(60);
    expect(calls.length).toBeLessThanOrEqual(10);
    // Rejoining from a new connection is served from the cache.
    const again = await joinAs(server, 'paid-7', 'toss');
    expect(again.reply.type).toBe('joined');
    expect(app.calls('/join').length).toBe(calls.length);
  });

  it('join: slow, down and wrong apps follow the fail mode; the breaker stops the calls', async () => {
    await using app = await fakeApp();
    for (const fail of ['closed', 'open'] as const) {
      await using server = await startServer({
        ROAR_HOOK_JOIN_URL: app.url('/join'),
        ROAR_HOOK_JOIN_TIMEOUT_MS: '150',
        ROAR_HOOK_JOIN_FAIL: fail,
        ROAR_HOOK_JOIN_BATCH_MS: '0',
        ROAR_HOOK_BREAKER_FAILURES: '3',
        ROAR_HOOK_BREAKER_COOLDOWN_MS: '60000',
      });
      const expected =
        fail === 'open' ? { type: 'joined' } : { type: 'error', code: ErrorCode.Unavailable };
      app.mode = 'slow';
      const started = Date.now();
      expect((await joinAs(server, `x-slow-${fail}`)).reply).toMatchObject(expected);
      expect(Date.now() - started).toBeLessThan(1900);
      app.mode = 'wrong';
      expect((await joinAs(server, `x-wrong-${fail}`)).reply).toMatchObject(expected);
      app.mode = 'down';
      expect((await joinAs(server, `x-down-${fail}`)).reply).toMatchObject(expected);
      // Three failures in a row: the breaker is open, and the app hears nothing more.
      const before = app.requests.length;
      for (let i = 0; i < 5; i++)
        expect((await joinAs(server, `x-more-${fail}-${i}`)).reply).toMatchObject(expected);
      expect(app.requests.length).toBe(before);
      // A failed check is never cached as an answer.
      app.mode = 'ok';
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/roar_hook_breaker_open\{hook="join"[^}]*\} 1/);
      expect(metrics).toMatch(/roar_hook_requests_total\{hook="join",result="timeout"[^}]*\} 1/);
      expect(metrics).toMatch(
        /roar_hook_requests_total\{hook="join",result="breaker_open"[^}]*\} 5/,
      );
    }
  });

  it('join: while the hook decides the viewer is not in the stream; leaving cancels the join', async () => {
    await using app = await fakeApp();
    await using server = await startServer({
      ROAR_HOOK_JOIN_URL: app.url('/join'),
      ROAR_HOOK_JOIN_TIMEOUT_MS: '5000',
    });
    // Someone already in the stream, so it exists on the gateway.
    const sub = await joinAs(server, 'sub-0');
    expect(sub.reply.type).toBe('joined');
    app.mode = 'slow';
    app.slowMs = 600;
    const a = await server.connect({ user: 'paid-a' });
    await a.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    const joining = a.request({ type: 'join', stream: 's' }, 10_000);
    await waitFor(() => app.calls('/join').length === 2, { message: 'the second check' });
    expect(await a.request({ type: 'chat', stream: 's', text: 'early' })).toMatchObject({
      code: ErrorCode.NotJoined,
    });
    expect(await a.request({ type: 'join', stream: 's' })).toMatchObject({
      code: ErrorCode.AlreadyJoined,
    });
    expect(await joining).toMatchObject({ type: 'joined' });

    const b = await server.connect({ user: 'paid-b' });
    await b.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    const cancelled = b.request({ type: 'join', stream: 's' }, 10_000);
    await waitFor(() => app.calls('/join').length === 3, { message: 'the third check' });
    expect(await b.request({ type: 'leave', stream: 's' })).toMatchObject({ type: 'left' });
    expect(await cancelled).toMatchObject({ type: 'error', code: ErrorCode.NotJoined });
    // Two viewers in the stream: the cancelled join was never counted, nor released.
    const registry = server.embedded.gateway.registry;
    expect(registry.get('s')?.viewers).toBe(2);
  });

  it('join: an expiring right removes the viewer when it ends', async () => {
    await using app = await fakeApp();
    await using server = await startServer({ ROAR_HOOK_JOIN_URL: app.url('/join') });
    const { client, reply } = await joinAs(server, 'brief-1');
    expect(reply.type).toBe('joined');
    const expired = await client.waitForMessage(
      (m) => m.type === 'error' && m.code === ErrorCode.JoinDenied,
      5000,
      'expiry',
    );
    expect(expired).toMatchObject({ stream: 's', message: 'access expired' });
    const chat = await client.request({ type: 'chat', stream: 's', text: 'still here?' });
    expect(chat).toMatchObject({ type: 'error', code: ErrorCode.NotJoined });
  });

  it('connect: the app session names the viewer; down and fail-closed means reconnect', async () => {
    await using app = await fakeApp();
    await using server = await startServer({
      ROAR_HOOK_CONNECT_URL: app.url('/connect'),
      ROAR_HOOK_CONNECT_TIMEOUT_MS: '200',
      ROAR_HOOK_SECRET: 'hook-secret',
      ROAR_ALLOW_ANONYMOUS: 'true',
    });
    const welcome = async (headers: Record<string, string>) => {
      const client = await server.connect({ headers });
      return client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    };
    expect(await welcome({ cookie: 'session=alice' })).toMatchObject({
      user: { id: 'alice', name: 'ALICE' },
    });
    expect(await welcome({ cookie: 'session=alice' })).toMatchObject({ user: { id: 'alice' } });
    expect(app.calls('/connect')).toHaveLength(1);
    expect(app.requests[0]?.authorization).toBe('Bearer hook-secret');
    expect(await welcome({ cookie: 'session=nobody' })).toMatchObject({ user: null });
    // No session at all: anonymous, and the app is not asked.
    expect(await welcome({})).toMatchObject({ user: null });
    expect(app.calls('/connect')).toHaveLength(2);

    app.mode = 'down';
    const client = await server.connect({ headers: { cookie: 'session=bob' } });
    const error = await client.waitForMessage((m) => m.type === 'error', 5000, 'error');
    expect(error).toMatchObject({ code: ErrorCode.Unavailable });
    // 1011: the client reconnects with backoff, unlike after a refused token.
    expect(await client.closed).toMatchObject({ code: 1011, reason: ErrorCode.Unavailable });
  });

  it('publish: the app rewrites a message before it goes out', async () => {
    await using app = await fakeApp();
    await using server = await startServer({ ROAR_HOOK_PUBLISH_URL: app.url('/publish') });
    const a = await server.viewer('s', { user: 'a' });
    expect(await a.request({ type: 'chat', stream: 's', text: 'oh darn it' })).toMatchObject({
      type: 'ack',
    });
    await waitFor(() => a.events('s').some((e) => e.type === 'chat'), { message: 'chat' });
    expect(a.events('s').find((e) => e.type === 'chat')).toMatchObject({ text: 'oh **** it' });
    expect(app.calls('/publish')[0]?.body).toMatchObject({ stream: 's', userId: 'a' });
  });

  it('rejects a hook URL that is not http(s), naming the variable', async () => {
    await expect(startServer({ ROAR_HOOK_JOIN_URL: 'ftp://app/join' })).rejects.toThrow(
      /ROAR_HOOK_JOIN_URL/,
    );
  });
});
