import { CloseCode, ErrorCode, type ServerMessage } from '@roar/protocol';
import { TestClient, waitFor } from '@roar/testkit';
import { SignJWT } from 'jose';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { TEST_SECRET, startServer, token } from './harness.js';

// Issue 12, items 1, 2 and 6, and the token length of item 5: each test here failed before the fix.

const ADMIN_KEY = 'ops:an-admin-api-key-of-at-least-32-characters';

/** An HS256 token with exactly these claims (no defaults added). */
function signed(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_SECRET));
}

const now = (): number => Math.floor(Date.now() / 1000);

/** The first error frame a token gets, and the close code. */
async function verdict(
  url: string,
  headers: Record<string, string>,
): Promise<{
  welcome: ServerMessage | undefined;
  error: ServerMessage | undefined;
  code?: number;
}> {
  const client = await TestClient.connect(url, { headers });
  try {
    await client.waitForMessage((m) => m.type === 'welcome' || m.type === 'error', 5000, 'verdict');
    const welcome = client.messages.find((m) => m.type === 'welcome');
    const error = client.messages.find((m) => m.type === 'error');
    if (error) return { welcome, error, code: (await client.closed).code };
    return { welcome, error };
  } finally {
    client.terminate();
  }
}

describe('item 1: dev login', () => {
  it('is off when an admin API key is configured, even without a JWT key', async () => {
    await using server = await startServer({
      ROAR_JWT_SECRET: '',
      ROAR_ADMIN_API_KEYS: ADMIN_KEY,
    });
    expect(server.embedded.gateway.config.devLogin).toBe(false);
    const res = await fetch(`${server.httpUrl}/dev/token`, {
      method: 'POST',
      body: JSON.stringify({ name: 'mallory', roles: ['admin'] }),
    });
    expect(res.status).toBe(404);
  });

  it("mints only the demo page's roles unless ROAR_DEV_LOGIN_ROLES=any", async () => {
    await using server = await startServer({ ROAR_JWT_SECRET: '' });
    const mint = (roles: string[]): Promise<Response> =>
      fetch(`${server.httpUrl}/dev/token`, {
        method: 'POST',
        body: JSON.stringify({ name: 'Asha', roles }),
      });
    expect((await mint([])).status).toBe(200);
    expect((await mint(['moderator:s'])).status).toBe(200);
    for (const roles of [['admin'], ['moderator:*'], ['moderator:a', 'moderator:b']]) {
      expect((await mint(roles)).status, roles.join()).toBe(403);
    }
    expect((await mint(['admin:s'])).status).toBe(400);
    // A demo token works, and carries what it was minted with.
    const { token: t } = (await (await mint(['broadcaster:s'])).json()) as { token: string };
    const r = await verdict(server.wsUrl, { authorization: `Bearer ${t}` });
    expect(r.welcome).toMatchObject({ user: { id: 'dev-asha', roles: ['broadcaster:s'] } });

    await using open = await startServer({ ROAR_JWT_SECRET: '', ROAR_DEV_LOGIN_ROLES: 'any' });
    const res = await fetch(`${open.httpUrl}/dev/token`, {
      method: 'POST',
      body: JSON.stringify({ name: 'Asha', roles: ['admin'] }),
    });
    expect(res.status).toBe(200);
  });
});

describe('item 2: session ids and anonymous ids', () => {
  it('shows an anonymous chatter without an anon id under neither its session nor a claimable id', async () => {
    await using server = await startServer({ ROAR_ANONYMOUS_CHAT: 'true' });
    const anon = await server.viewer('an');
    const welcome = anon.messages.find((m) => m.type === 'welcome') as { session: string };
    expect(await anon.request({ type: 'chat', stream: 'an', text: 'hi' })).toMatchObject({
      type: 'ack',
    });
    await anon.waitForMessage(() => anon.eventsOf('an', 'chat').length === 1, 5000, 'own chat');
    const shown = anon.eventsOf('an', 'chat')[0]?.user.id ?? '';
    expect(shown).toMatch(/^c:/);
    expect(shown).not.toContain(welcome.session);
  });

  it('derives the shown anonymous id on the server: the same device keeps it, nobody can claim it', async () => {
    await using server = await startServer({ ROAR_ANONYMOUS_CHAT: 'true' });
    const shownFor = async (anonId: string, text: string): Promise<string> => {
      const c = await server.viewer('an', { query: { anon: anonId } });
      await c.request({ type: 'chat', stream: 'an', text });
      await c.waitForMessage(
        () => c.eventsOf('an', 'chat').some((e) => e.text === text),
        5000,
        'own chat',
      );
      return c.eventsOf('an', 'chat').find((e) => e.text === text)?.user.id ?? '';
    };
    const victim = await shownFor('device-12345678', 'first');
    expect(victim).toMatch(/^a:[A-Za-z0-9_-]{16}$/);
    expect(victim).not.toContain('device-12345678');
    expect(await shownFor('device-12345678', 'again')).toBe(victim);
    // Presenting what everyone sees in chat yields a different id.
    expect(await shownFor(victim.slice(2), 'claim')).not.toBe(victim);
  });

  it('counts at most ROAR_ANON_IDS_PER_IP anonymous identities of one address as uniques', async () => {
    await using server = await startServer({ ROAR_ANON_IDS_PER_IP: '3' });
    const watcher = await server.viewer('cap', { user: 'watcher' });
    for (let i = 0; i < 12; i++)
      await server.viewer('cap', { query: { anon: `fresh-id-${i}-xyz` } });
    // One more signed-in viewer after them, so the settled figures come in a fresh report.
    await server.viewer('cap', { user: 'late' });
    const events = () => watcher.eventsOf('cap', 'viewers');
    // Two signed-in users, three anonymous ids, and one shared by the rest of the address.
    await waitFor(() => events().at(-1)?.total === 14 && events().at(-1)?.uniques === 6, {
      timeoutMs: 10_000,
      message: `total 14, uniques 6 (last: ${JSON.stringify(events().at(-1))})`,
    });
    expect(Math.max(...events().map((v) => v.uniques ?? 0))).toBe(6);
  });
});

describe('item 5 (token length): tokens up to the configured limit reach the verifier', () => {
  it('answers an 8,000-character token with token_invalid, not HTTP 431', async () => {
    await using server = await startServer();
    for (const length of [4000, 8000, 9000]) {
      const r = await verdict(server.wsUrl, { authorization: `Bearer ${'x'.repeat(length)}` });
      expect(r.error, String(length)).toMatchObject({ code: ErrorCode.TokenInvalid });
      expect(r.code).toBe(CloseCode.Unauthorized);
    }
    const viaQuery = await TestClient.connect(server.wsUrl, {
      query: { token: 'y'.repeat(8000) },
    });
    expect((await viaQuery.closed).code).toBe(CloseCode.Unauthorized);
  });
});

describe('item 6: token rules, roles, metrics, degradation', () => {
  it('refuses tokens without exp, living past the maximum, or issued in the future', async () => {
    await using server = await startServer({ ROAR_JWT_MAX_LIFETIME_S: '3600' });
    const t = now();
    const cases = {
      noExp: await signed({ sub: 'a', iat: t }),
      tooLong: await signed({ sub: 'a', iat: t, exp: t + 7200 }),
      tooLongNoIat: await signed({ sub: 'a', exp: t + 7200 }),
      futureIat: await signed({ sub: 'a', iat: t + 600, exp: t + 1200 }),
    };
    for (const [name, jwt] of Object.entries(cases)) {
      const r = await verdict(server.wsUrl, { authorization: `Bearer ${jwt}` });
      expect(r.error, name).toMatchObject({ code: ErrorCode.TokenInvalid });
    }
    const ok = await verdict(server.wsUrl, {
      authorization: `Bearer ${await signed({ sub: 'a', iat: t, exp: t + 3000 })}`,
    });
    expect(ok.welcome).toMatchObject({ user: { id: 'a' } });
  });

  it('verifies a lower-case bearer scheme instead of making the client anonymous', async () => {
    await using server = await startServer();
    const r = await verdict(server.wsUrl, { authorization: `bearer ${await token('asha')}` });
    expect(r.welcome).toMatchObject({ user: { id: 'asha' } });
    const bad = await verdict(server.wsUrl, { authorization: 'BEARER not-a-token' });
    expect(bad.error).toMatchObject({ code: ErrorCode.TokenInvalid });
  });

  it('grants only roles of the one grammar: no unscoped moderator, no admin:<scope>', async () => {
    await using server = await startServer();
    const odd = await server.viewer('s', {
      user: 'odd',
      roles: ['moderator', 'broadcaster', 'admin:*', 'admin:s', 'moderator:s:x', 'subscriber:s'],
    });
    const welcome = odd.messages.find((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({ user: { roles: ['subscriber:s'] } });
    expect(
      await odd.request({ type: 'mod', stream: 's', action: { type: 'clear' } }),
    ).toMatchObject({ code: ErrorCode.Forbidden });
    const adminApi = await fetch(`${server.httpUrl}/admin/v1/bans`, {
      headers: { authorization: `Bearer ${await token('odd', { roles: ['admin:*'] })}` },
    });
    expect(adminApi.status).toBe(403);
    // The documented forms still work.
    const mod = await server.viewer('s', { user: 'mod', roles: ['moderator:*'] });
    expect(
      await mod.request({ type: 'mod', stream: 's', action: { type: 'clear' } }),
    ).toMatchObject({ type: 'ack' });
  });

  it('keeps GET /admin/v1/degradation from viewer tokens', async () => {
    await using server = await startServer({ ROAR_ADMIN_API_KEYS: ADMIN_KEY });
    const get = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${server.httpUrl}/admin/v1/degradation`, { headers });
    expect((await get({ authorization: `Bearer ${await token('viewer')}` })).status).toBe(403);
    expect((await get({ 'x-api-key': ADMIN_KEY.slice(4) })).status).toBe(200);
    expect(
      (await get({ authorization: `Bearer ${await token('root', { roles: ['admin'] })}` })).status,
    ).toBe(200);
    // The scheme is case-insensitive on the admin API too.
    expect(
      (await get({ authorization: `bearer ${await token('root', { roles: ['admin'] })}` })).status,
    ).toBe(200);
    expect((await get({ authorization: `apikey ${ADMIN_KEY.slice(4)}` })).status).toBe(200);
  });

  it('puts /metrics behind ROAR_METRICS_TOKEN and names neither host nor pid', async () => {
    const metricsToken = 'a-metrics-token-of-at-least-32-characters';
    await using server = await startServer({ ROAR_METRICS_TOKEN: metricsToken });
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } }))
        .status,
    ).toBe(401);
    const res = await fetch(`${server.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('roar_connections');
    expect(text).not.toContain(hostname());
    expect(text).not.toMatch(new RegExp(`gateway="[^"]*-${process.pid}-`));
  });
});
