import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { token } from './harness.js';
import { API_KEY, moderationSetup, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();
const setup = (env?: Record<string, string>) => moderationSetup(openApi(), env);

type Case = [method: string, path: string, body: string | undefined, status: number, code: string];

describe('the admin API is exactly as specified', () => {
  it('refuses what the document does not allow: lengths, query parameters, patterns', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const cases: Case[] = [
      // maxLength: 500, 200 and 64 in the document.
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'a'.repeat(501) }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/bans',
        JSON.stringify({ userId: 'u', reason: 'r'.repeat(201) }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/clear',
        JSON.stringify({ reason: 'r'.repeat(300) }),
        400,
        'invalid_field',
      ],
      [
        'PUT',
        '/admin/v1/streams/s/pin',
        JSON.stringify({ messageId: 'm'.repeat(100) }),
        400,
        'invalid_field',
      ],
      [
        'DELETE',
        `/admin/v1/streams/s/messages/m1?reason=${'r'.repeat(1500)}`,
        undefined,
        400,
        'invalid_field',
      ],
      ['DELETE', '/admin/v1/streams/s/messages/m1?sudo=1', undefined, 400, 'invalid_field'],
      ['GET', '/admin/v1/streams/s/audit?limit=abc', undefined, 400, 'invalid_field'],
      ['GET', '/admin/v1/streams/s/audit?limit=1&limit=2', undefined, 400, 'invalid_field'],
      ['GET', '/admin/v1/streams/s/audit?__proto__=1&__proto__=2', undefined, 400, 'invalid_field'],
      ['GET', '/admin/v1/streams/s/audit?limit=501', undefined, 400, 'invalid_field'],
      [
        'GET',
        `/admin/v1/streams/s/audit?before=${'x'.repeat(65)}`,
        undefined,
        400,
        'invalid_field',
      ],
      [
        'POST',
        `/admin/v1/streams/s/held/${'h'.repeat(65)}/approve`,
        undefined,
        400,
        'invalid_field',
      ],
      // One line of text: no bidi overrides, isolates, newlines or control characters.
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'score \u202Eevil' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'a \u2066b\u2069' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'line\nbreak' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'bell\u0007' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'next\u0085line' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        JSON.stringify({ text: 'para\u2029graph' }),
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/bans',
        JSON.stringify({ userId: 'u', reason: 'x\u202Ey' }),
        400,
        'invalid_field',
      ],
    ];
    for (const [method, path, rawBody, status, code] of cases) {
      const res = await call(method, path, { apiKey: API_KEY, ...(rawBody ? { rawBody } : {}) });
      expect(res.status, `${method} ${path.slice(0, 80)}`).toBe(status);
      expect(res.body, `${method} ${path.slice(0, 80)}`).toMatchObject({ error: { code } });
    }
    // None of them reached the service: no announcement, ban or audit entry.
    const audit = await call('GET', '/admin/v1/streams/s/audit', { token: modToken });
    expect(audit.body).toEqual({ entries: [] });
    // What the document allows still works: Arabic (right-to-left without overrides) and emoji.
    const ok = await call('POST', '/admin/v1/streams/s/announcements', {
      apiKey: API_KEY,
      body: { text: 'مرحبا 🏏 4 runs' },
    });
    expect(ok.status).toBe(201);
  });

  it('refuses the same announcements over the WebSocket', async () => {
    const { server } = await setup();
    await using _ = server;
    const mod = await server.viewer('s', { user: 'mod', roles: ['moderator:s'] });
    for (const text of ['score \u202Eevil', 'two\nlines', 'bell\u0007']) {
      expect(
        await mod.request({ type: 'mod', stream: 's', action: { type: 'announce', text } }),
        JSON.stringify(text),
      ).toMatchObject({ type: 'error', code: 'chat_control_chars' });
    }
    expect(
      await mod.request({ type: 'mod', stream: 's', action: { type: 'announce', text: 'ok' } }),
    ).toMatchObject({ type: 'ack' });
  });

  it('answers 415 for bodies that are not application/json', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const body = JSON.stringify({ text: 'hello' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const res = await call('POST', '/admin/v1/streams/s/announcements', {
        apiKey: API_KEY,
        rawBody: body,
        headers: { 'content-type': type },
      });
      expect(res.status, type).toBe(415);
      expect(res.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
    const form = await call('POST', '/admin/v1/streams/s/bans', {
      apiKey: API_KEY,
      rawBody: 'userId=u1&reason=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    // A charset parameter is fine.
    const withCharset = await call('POST', '/admin/v1/streams/s/announcements', {
      apiKey: API_KEY,
      rawBody: body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(withCharset.status).toBe(201);
  });

  it('accepts the documented maximum bannedTerms (500 × 64), and refuses more', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    // Multi-byte characters: the largest valid body is well over the old 16 KiB limit.
    const terms = Array.from({ length: 500 }, (_, i) => `${i}`.padEnd(64, 'é'));
    const res = await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      body: { bannedTerms: terms },
    });
    expect(res.status).toBe(200);
    expect((res.body as { settings: { bannedTerms: string[] } }).settings.bannedTerms).toEqual(
      terms,
    );
    const tooMany = await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      rawBody: JSON.stringify({ bannedTerms: [...terms, 'one more'] }),
    });
    expect(tooMany.status).toBe(400);
    // A body far beyond anything valid is still refused unread.
    const huge = await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      rawBody: JSON.stringify({ bannedTerms: ['x'.repeat(2_000_000)] }),
    });
    expect(huge.status).toBe(413);
  });

  it('uses up an Idempotency-Key only with a request that succeeded', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const headers = { 'idempotency-key': 'retry-1' };
    // 400: the text is too long.
    const bad = await call('POST', '/admin/v1/streams/s/announcements', {
      token: modToken,
      headers,
      rawBody: JSON.stringify({ text: 'x'.repeat(600) }),
    });
    expect(bad.status).toBe(400);
    // 403: a moderator of s announcing in another stream.
    const forbidden = await call('POST', '/admin/v1/streams/other/announcements', {
      token: modToken,
      headers,
      body: { text: 'wrong stream' },
    });
    expect(forbidden.status).toBe(403);
    // 404: unpinning works, but pinning a message that is not in history does not.
    const missing = await call('PUT', '/admin/v1/streams/s/pin', {
      token: modToken,
      headers,
      body: { messageId: 'nope' },
    });
    expect(missing.status).toBe(404);
    const fixed = await call('POST', '/admin/v1/streams/s/announcements', {
      token: modToken,
      headers,
      body: { text: 'corrected' },
    });
    expect(fixed.status).toBe(201);
    const replay = await call('POST', '/admin/v1/streams/s/announcements', {
      token: modToken,
      headers,
      body: { text: 'corrected' },
    });
    expect(replay.status).toBe(409);
    const log = await call('GET', '/admin/v1/streams/s/audit', { token: modToken });
    expect((log.body as { entries: { action: string }[] }).entries.map((e) => e.action)).toEqual([
      'announce',
    ]);
  });

  it('refuses two different Content-Length headers with 400 and closes the connection', async () => {
    const { server } = await setup();
    await using _ = server;
    const body = JSON.stringify({ text: 'hi' });
    const post = (lengths: number[], extra = '') =>
      'POST /admin/v1/streams/s/announcements HTTP/1.1\r\nHost: x\r\n' +
      `X-Api-Key: ${API_KEY}\r\nContent-Type: application/json\r\n` +
      lengths.map((n) => `Content-Length: ${n}\r\n`).join('') +
      '\r\n' +
      body +
      extra;
    const plain = await rawExchange(server.port, post([body.length, body.length + 5]));
    expect(plain.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(plain.text).toContain('conflicting Content-Length');
    expect(plain.closed).toBe(true);
    // A proxy that used the last length would forward the rest as its body; uWS would take it
    // for the next request. It must never be served.
    const smuggled =
      'POST /admin/v1/streams/s/clear HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `X-Api-Key: ${API_KEY}\r\nContent-Length: 2\r\n\r\n{}`;
    const hidden = await rawExchange(
      server.port,
      post([body.length, body.length + smuggled.length], smuggled),
    );
    expect(hidden.closed).toBe(true);
    expect(hidden.text).not.toMatch(/HTTP\/1\.1 2\d\d/);
    // Content-Length with Transfer-Encoding is ambiguous the same way.
    const both = await rawExchange(
      server.port,
      'POST /admin/v1/streams/s/clear HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `X-Api-Key: ${API_KEY}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
    );
    expect(both.text).toMatch(/^HTTP\/1\.1 400 /);
    // Nothing of the above was carried out: no announcement, no clear.
    const audit = await fetch(`${server.httpUrl}/admin/v1/streams/s/audit`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(await audit.json()).toEqual({ entries: [] });
    // The same length twice is one length (RFC 9110): served.
    const same = await rawExchange(
      server.port,
      post([body.length, body.length]).replace('Host: x', 'Host: x\r\nConnection: close'),
    );
    expect(same.text).toMatch(/^HTTP\/1\.1 201 /);
  });

  it('answers HEAD wherever GET is', async () => {
    const { server } = await setup();
    await using _ = server;
    for (const path of ['/healthz', '/admin/v1/streams/s/settings', '/admin/v1/bans']) {
      const get = await fetch(`${server.httpUrl}${path}`, { headers: { 'x-api-key': API_KEY } });
      const getBody = await get.arrayBuffer();
      const head = await fetch(`${server.httpUrl}${path}`, {
        method: 'HEAD',
        headers: { 'x-api-key': API_KEY },
      });
      expect(head.status, path).toBe(get.status);
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      expect(head.headers.get('content-length'), path).toBe(String(getBody.byteLength));
      expect((await head.arrayBuffer()).byteLength, path).toBe(0);
    }
    const unauthorised = await fetch(`${server.httpUrl}/admin/v1/bans`, { method: 'HEAD' });
    expect(unauthorised.status).toBe(401);
  });

  it('checks path parameters, the Idempotency-Key and bodies before the service sees them', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const viewer = await token('v', { roles: [] });
    const cases: [string, string, Record<string, unknown>, number][] = [
      ['PUT', '/admin/v1/degradation', { apiKey: API_KEY, rawBody: '{"level":6}' }, 400],
      ['PUT', '/admin/v1/degradation', { apiKey: API_KEY, rawBody: '{"level":1,"x":1}' }, 400],
      ['PUT', '/admin/v1/degradation', { apiKey: API_KEY }, 400],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        { apiKey: API_KEY, body: { text: 'k' }, headers: { 'idempotency-key': 'bad key!' } },
        400,
      ],
      // Authentication still comes first.
      ['POST', '/admin/v1/streams/s/announcements', { rawBody: '{"text":"' }, 401],
      ['POST', '/admin/v1/bans', { token: viewer, body: { userId: 'u' } }, 403],
    ];
    for (const [method, path, options, status] of cases) {
      const res = await call(method, path, options);
      expect(res.status, `${method} ${path} ${JSON.stringify(options).slice(0, 60)}`).toBe(status);
    }
  });
});

/** Writes raw bytes to the server and reads until it closes the connection or 3 s pass. */
async function rawExchange(port: number, request: string) {
  return new Promise<{ text: string; closed: boolean }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 3000);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', reject);
    socket.write(request);
  });
}
