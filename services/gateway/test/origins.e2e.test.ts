import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from './harness.js';
import { API_KEY } from './moderation-harness.js';

const MODS = 'https://mods.example.com';
const EVIL = 'https://evil.example.net';

/** Opens a WebSocket with an Origin header: the HTTP status it was refused with, or 101. */
function dial(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'roar.v1.json', origin === undefined ? {} : { origin });
    const timer = setTimeout(() => reject(new Error('no answer to the upgrade in 5 s')), 5000);
    ws.once('open', () => {
      clearTimeout(timer);
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The status of opening the event-stream fallback with an Origin header (then closed). */
async function sse(base: string, origin: string | undefined): Promise<number> {
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/sse`, {
    headers: origin === undefined ? {} : { origin },
    signal: controller.signal,
  });
  controller.abort();
  return res.status;
}

describe('ROAR_ALLOWED_ORIGINS', () => {
  it('answers the admin API CORS preflight and requests for listed origins only', async () => {
    await using server = await startServer({
      ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
      ROAR_ALLOWED_ORIGINS: `${MODS}, http://localhost:5173`,
    });
    const url = `${server.httpUrl}/admin/v1/streams/s/announcements`;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: MODS,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, content-type, idempotency-key',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(MODS);
    expect(preflight.headers.get('vary')).toMatch(/origin/i);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    for (const h of ['x-api-key', 'content-type', 'idempotency-key', 'authorization']) {
      expect(preflight.headers.get('access-control-allow-headers')).toContain(h);
    }
    const settingsPreflight = await fetch(`${server.httpUrl}/admin/v1/streams/s/settings`, {
      method: 'OPTIONS',
      headers: { origin: MODS, 'access-control-request-method': 'PATCH' },
    });
    expect(settingsPreflight.headers.get('access-control-allow-methods')).toMatch(
      /GET.*PATCH|PATCH.*GET/,
    );

    const refused = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const post = await fetch(url, {
      method: 'POST',
      headers: { origin: MODS, 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the moderator tool' }),
    });
    expect(post.status).toBe(201);
    expect(post.headers.get('access-control-allow-origin')).toBe(MODS);
    expect(post.headers.get('vary')).toMatch(/origin/i);
    // Errors carry CORS headers too, or the tool could not read why it failed.
    const unauthorised = await fetch(url, {
      method: 'POST',
      headers: { origin: MODS, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('access-control-allow-origin')).toBe(MODS);
    const other = await fetch(`${server.httpUrl}/admin/v1/bans`, {
      headers: { origin: EVIL, 'x-api-key': API_KEY },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toMatch(/origin/i);
  });

  it('refuses WebSocket upgrades and event streams from unlisted origins', async () => {
    await using server = await startServer({ ROAR_ALLOWED_ORIGINS: MODS });
    const self = `http://127.0.0.1:${server.port}`;
    expect(await dial(server.wsUrl, MODS)).toBe(101);
    expect(await dial(server.wsUrl, EVIL)).toBe(403);
    expect(await dial(server.wsUrl, 'null')).toBe(403);
    // Same-origin pages (the demo) and clients that send no Origin (servers, apps) pass.
    expect(await dial(server.wsUrl, self)).toBe(101);
    expect(await dial(server.wsUrl, undefined)).toBe(101);
    expect(await sse(server.httpUrl, EVIL)).toBe(403);
    expect(await sse(server.httpUrl, MODS)).toBe(200);
    expect(await sse(server.httpUrl, self)).toBe(200);
    // The fallback's upstream half too (a session that does not exist: 404 once past the check).
    const post = (origin: string) =>
      fetch(`${server.httpUrl}/v1/sse/no-such-session`, {
        method: 'POST',
        headers: { origin, 'content-type': 'text/plain' },
        body: '{"type":"ping","ref":1}',
      }).then((r) => r.status);
    expect(await post(EVIL)).toBe(403);
    expect(await post(MODS)).toBe(404);
  });

  it('keeps the old behaviour when unset: any origin connects, the admin API sends no CORS', async () => {
    await using server = await startServer({ ROAR_ADMIN_API_KEYS: `ops:${API_KEY}` });
    expect(await dial(server.wsUrl, EVIL)).toBe(101);
    expect(await sse(server.httpUrl, EVIL)).toBe(200);
    const res = await fetch(`${server.httpUrl}/admin/v1/bans`, {
      headers: { origin: EVIL, 'x-api-key': API_KEY },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.httpUrl}/admin/v1/bans`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows every origin with *', async () => {
    await using server = await startServer({
      ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
      ROAR_ALLOWED_ORIGINS: '*',
    });
    expect(await dial(server.wsUrl, EVIL)).toBe(101);
    const res = await fetch(`${server.httpUrl}/admin/v1/bans`, {
      headers: { origin: EVIL, 'x-api-key': API_KEY },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(EVIL);
  });
});
