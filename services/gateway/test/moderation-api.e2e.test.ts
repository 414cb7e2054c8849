import { ErrorCode } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { token } from './harness.js';
import { API_KEY, moderationSetup, say, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();
const setup = (env?: Record<string, string>) => moderationSetup(openApi(), env);

describe('audit, stats, idempotency', () => {
  it('audits every action with who, what, target, when and why', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    await server.viewer('s', { user: 'a' });
    await call('POST', '/admin/v1/streams/s/timeouts', {
      token: modToken,
      body: { userId: 'a', seconds: 60, reason: 'spam' },
    });
    await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      body: { slowModeS: 5 },
    });
    await call('POST', '/admin/v1/streams/s/announcements', {
      apiKey: API_KEY,
      body: { text: 'hello' },
    });
    const log = await call('GET', '/admin/v1/streams/s/audit?limit=10', { token: modToken });
    const entries = (
      log.body as {
        entries: { action: string; actor: string; target?: string; reason?: string; at: number }[];
      }
    ).entries;
    expect(entries.map((e) => e.action)).toEqual(['announce', 'settings', 'timeout']);
    expect(entries[2]).toMatchObject({ actor: 'mod', target: 'a', reason: 'spam' });
    expect(entries[0]).toMatchObject({ actor: 'key:ops' });
    const older = await call(
      'GET',
      `/admin/v1/streams/s/audit?limit=10&before=${encodeURIComponent((entries[0] as { id?: string }).id ?? '')}`,
      { token: modToken },
    );
    expect((older.body as { entries: unknown[] }).entries).toHaveLength(2);
  });

  it('reports stream stats and 404s a stream nobody has seen', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    await a.waitForMessage(() => a.eventsOf('s', 'viewers').length > 0, 3000, 'count');
    const stats = await call('GET', '/admin/v1/streams/s/stats', { token: modToken });
    expect(stats).toMatchObject({ status: 200, body: { stream: 's', viewers: { total: 1 } } });
    const modOfNothing = await token('m2', { roles: ['moderator:ghost'] });
    expect(
      (await call('GET', '/admin/v1/streams/ghost/stats', { token: modOfNothing })).status,
    ).toBe(404);
  });

  it('refuses a replayed action with 409 and does not repeat it', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const headers = { 'idempotency-key': 'announce-1' };
    expect(
      (
        await call('POST', '/admin/v1/streams/s/announcements', {
          token: modToken,
          headers,
          body: { text: 'once' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('POST', '/admin/v1/streams/s/announcements', {
          token: modToken,
          headers,
          body: { text: 'once' },
        })
      ).status,
    ).toBe(409);
    const log = await call('GET', '/admin/v1/streams/s/audit', { token: modToken });
    expect((log.body as { entries: unknown[] }).entries).toHaveLength(1);
  });
});

describe('admin API: bad input', () => {
  it('answers wrong types, unknown fields, bad JSON, oversize bodies and bad ids with 400/413 and a JSON body', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const cases: [string, string, { body?: unknown; rawBody?: string }, number, string][] = [
      [
        'POST',
        '/admin/v1/streams/s/timeouts',
        { rawBody: '{"userId":"a","seconds":"ten"}' },
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/timeouts',
        { rawBody: '{"userId":"a","seconds":10,"sudo":true}' },
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/timeouts',
        { rawBody: '{"userId":"a","seconds":0}' },
        400,
        'invalid_field',
      ],
      ['POST', '/admin/v1/streams/s/bans', { rawBody: '{not json' }, 400, 'bad_frame'],
      ['POST', '/admin/v1/streams/s/bans', { rawBody: '[1,2]' }, 400, 'bad_frame'],
      [
        'PATCH',
        '/admin/v1/streams/s/settings',
        { rawBody: '{"slowModeS":-1}' },
        400,
        'invalid_field',
      ],
      [
        'PATCH',
        '/admin/v1/streams/s/settings',
        { rawBody: '{"turbo":true}' },
        400,
        'invalid_field',
      ],
      [
        'POST',
        '/admin/v1/streams/s/announcements',
        { rawBody: `{"text":"${'x'.repeat(20_000)}"}` },
        413,
        'body_too_large',
      ],
      ['GET', `/admin/v1/streams/${encodeURIComponent('bad.id')}/bans`, {}, 400, 'invalid_stream'],
      ['DELETE', '/admin/v1/streams/s/bans/%20space', {}, 400, 'invalid_field'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, { token: modToken, ...body });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body, `${method} ${path}`).toMatchObject({ error: { code } });
    }
    // Nothing was half-applied by any of them.
    expect((await call('GET', '/admin/v1/streams/s/bans', { token: modToken })).body).toEqual({
      bans: [],
    });
  });
});

describe('authorisation matrix', () => {
  it('answers every endpoint by role: 401, 403 or success', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const viewer = await server.viewer('s', { user: 'talker' });
    const ack = await say(viewer, 'msg');
    const msgId = ack.type === 'ack' ? (ack.id ?? 'x') : 'x';
    const expired = await token('late-mod', { roles: ['moderator:s'] }, '-1h');
    const who: Record<string, { token?: string; apiKey?: string }> = {
      anonymous: {},
      expired: { token: expired },
      viewer: { token: await token('v') },
      otherMod: { token: await token('om', { roles: ['moderator:elsewhere'] }) },
      moderator: { token: await token('m', { roles: ['moderator:s'] }) },
      broadcaster: { token: await token('b', { roles: ['broadcaster:s'] }) },
      admin: { token: await token('ad', { roles: ['admin'] }) },
      apiKey: { apiKey: API_KEY },
      badKey: { apiKey: 'x'.repeat(40) },
    };
    const stream: [string, string, unknown?][] = [
      ['GET', '/admin/v1/streams/s/bans'],
      ['GET', '/admin/v1/streams/s/settings'],
      ['GET', '/admin/v1/streams/s/stats'],
      ['GET', '/admin/v1/streams/s/audit'],
      ['GET', '/admin/v1/streams/s/held'],
      ['POST', '/admin/v1/streams/s/announcements', { text: 'hi' }],
      ['PATCH', '/admin/v1/streams/s/settings', { slowModeS: 0 }],
      ['POST', '/admin/v1/streams/s/timeouts', { userId: 'nobody', seconds: 5 }],
      ['POST', '/admin/v1/streams/s/bans', { userId: 'nobody2' }],
      ['PUT', '/admin/v1/streams/s/pin', { messageId: msgId }],
      ['DELETE', '/admin/v1/streams/s/pin'],
    ];
    const global: [string, string, unknown?][] = [
      ['GET', '/admin/v1/bans'],
      ['POST', '/admin/v1/bans', { userId: 'nobody3' }],
      ['GET', '/admin/v1/audit'],
      ['PUT', '/admin/v1/degradation', { level: null }],
    ];
    const expected = (role: string, isGlobal: boolean): number[] => {
      if (role === 'anonymous' || role === 'expired' || role === 'badKey') return [401];
      if (role === 'admin' || role === 'apiKey') return [200, 201];
      if (isGlobal || role === 'viewer' || role === 'otherMod') return [403];
      return [200, 201];
    };
    for (const [role, creds] of Object.entries(who)) {
      for (const [list, isGlobal] of [
        [stream, false],
        [global, true],
      ] as const) {
        for (const [method, path, body] of list) {
          const res = await call(method, path, {
            ...creds,
            ...(body !== undefined ? { body } : {}),
          });
          expect(expected(role, isGlobal), `${role} ${method} ${path} → ${res.status}`).toContain(
            res.status,
          );
          if (res.status >= 400)
            expect(res.body).toMatchObject({
              error: { code: expect.any(String), message: expect.any(String) },
            });
        }
      }
    }
    // Clearing last: it empties the history the pin calls above need.
    for (const [role, creds] of Object.entries(who)) {
      const res = await call('POST', '/admin/v1/streams/s/clear', { ...creds, body: {} });
      expect(expected(role, false), `${role} clear → ${res.status}`).toContain(res.status);
    }
  });
});

describe('moderator commands over WebSocket', () => {
  it('runs the same actions with the same rights', async () => {
    const { server } = await setup();
    await using _ = server;
    const mod = await server.viewer('s', { user: 'mod', roles: ['moderator:s'] });
    const viewer = await server.viewer('s', { user: 'v' });
    const ack = await say(viewer, 'oops');
    const id = ack.type === 'ack' ? (ack.id ?? '') : '';
    expect(
      await viewer.request({ type: 'mod', stream: 's', action: { type: 'delete', id } }),
    ).toMatchObject({ code: ErrorCode.Forbidden });
    expect(
      await mod.request({ type: 'mod', stream: 's', action: { type: 'delete', id } }),
    ).toMatchObject({ type: 'ack' });
    expect(
      await mod.request({
        type: 'mod',
        stream: 's',
        action: { type: 'timeout', userId: 'v', seconds: 30 },
      }),
    ).toMatchObject({ type: 'ack' });
    expect(await say(viewer, 'hey')).toMatchObject({ code: ErrorCode.TimedOut });
    expect(
      await mod.request({
        type: 'mod',
        stream: 's',
        action: { type: 'settings', settings: { slowModeS: 'x' } as never },
      }),
    ).toMatchObject({ code: ErrorCode.InvalidField });
    expect(
      await mod.request({ type: 'mod', stream: 'elsewhere', action: { type: 'clear' } }),
    ).toMatchObject({ code: ErrorCode.Forbidden });
  });
});
