import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { FakeApp } from './fixtures/fake-app.js';
import { startServer, token } from './harness.js';
import { useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();

interface Check {
  user: string | null;
  stream: string;
}

/**
 * The app: `paid` is for subscribers (`sub-*`) only, `free` is open to everyone and marked
 * public; anything else is refused.
 */
async function fakeApp(): Promise<FakeApp> {
  return FakeApp.start((_, body) => ({
    results: (body.checks as Check[]).map(({ user, stream }) => {
      if (stream === 'free') return { allow: true, public: true, ttlS: 60 };
      if (stream === 'paid' && user?.startsWith('sub')) return { allow: true, ttlS: 60 };
      return { allow: false, reason: 'subscribers only', ttlS: 60 };
    }),
  }));
}

const joins = (app: FakeApp): Check[] =>
  app.requests.filter((r) => r.path === '/join').flatMap((r) => r.body.checks as Check[]);

describe('replay behind the join hook', () => {
  it('refuses who the app refuses, privately caches what it allows, shares only public streams', async () => {
    await using app = await fakeApp();
    await using server = await startServer({ ROAR_HOOK_JOIN_URL: app.url('/join') });
    const api = openApi();
    const sub = await server.viewer('paid', { user: 'sub-1' });
    const said = await sub.request({ type: 'chat', stream: 'paid', text: 'members only' });
    expect(said.type).toBe('ack');
    const from = Date.now() - 60_000;
    const get = async (stream: string, as?: string, path?: string) => {
      const p = path ?? `/v1/streams/${stream}/replay?from=${from}&to=${from + 120_000}`;
      const headers: Record<string, string> = as
        ? { authorization: `Bearer ${await token(as)}` }
        : {};
      const res = await fetch(`${server.httpUrl}${p}`, { headers });
      const body = (await res.json()) as {
        events?: { data: { text?: string } }[];
        buckets?: { url: string }[];
        error?: { code: string };
      };
      api.checkResponse('GET', p.split('?')[0]!, res.status, body);
      return { res, body, cache: res.headers.get('cache-control'), vary: res.headers.get('vary') };
    };

    // Nobody, and a signed-in viewer the app refuses: nothing of the stream.
    for (const as of [undefined, 'free-1']) {
      const { res, body, cache } = await get('paid', as);
      expect(res.status, as).toBe(403);
      expect(body.error?.code).toBe('join_denied');
      expect(body.events).toBeUndefined();
      expect(cache).toBe('no-store');
    }
    // A subscriber reads it, cached privately (never by a CDN), per credential.
    await waitFor(
      async () =>
        (await get('paid', 'sub-1')).body.events?.some((e) => e.data.text === 'members only') ??
        false,
      { timeoutMs: 5000, message: 'the subscriber replays the chat' },
    );
    const allowed = await get('paid', 'sub-1');
    expect(allowed.cache).toMatch(/^private, max-age=\d+$/);
    expect(allowed.vary).toContain('authorization');
    // The bucket URLs are gated the same way.
    const bucket = allowed.body.buckets?.[0]?.url ?? '';
    expect((await get('paid', undefined, bucket)).res.status).toBe(403);
    const own = await get('paid', 'sub-1', bucket);
    expect(own.res.status).toBe(200);
    expect(own.cache).toMatch(/^private/);

    // A stream the app marks public: anyone, with the shared-cache headers a CDN keeps.
    const open = await get('free');
    expect(open.res.status).toBe(200);
    expect(open.cache).toMatch(/^public, max-age=\d+$/);

    // A cross-origin player may send the Authorization header.
    const preflight = await fetch(`${server.httpUrl}${bucket.split('?')[0]}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('asks the app once for many requests of one viewer (cached, coalesced)', async () => {
    await using app = await fakeApp();
    await using server = await startServer({ ROAR_HOOK_JOIN_URL: app.url('/join') });
    const auth = { authorization: `Bearer ${await token('sub-2')}` };
    const from = Date.now() - 30_000;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${server.httpUrl}/v1/streams/paid/replay?from=${from + i}&to=${from + 30_000}`, {
          headers: auth,
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(joins(app)).toEqual([expect.objectContaining({ user: 'sub-2', stream: 'paid' })]);
  });

  it('answers 503 while the app is down and the hook fails closed, 401 for a bad token', async () => {
    await using app = await fakeApp();
    await using server = await startServer({
      ROAR_HOOK_JOIN_URL: app.url('/join'),
      ROAR_HOOK_JOIN_TIMEOUT_MS: '300',
    });
    app.mode = 'down';
    const from = Date.now() - 30_000;
    const url = `${server.httpUrl}/v1/streams/paid/replay?from=${from}&to=${from + 30_000}`;
    const down = await fetch(url, { headers: { authorization: `Bearer ${await token('sub-3')}` } });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    const bad = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('token_invalid');
  });
});
