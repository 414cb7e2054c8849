import { ErrorCode } from '@roar/protocol';
import { describe, expect, it } from 'vitest';

import { API_KEY, moderationSetup, say, texts, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();
const setup = (env?: Record<string, string>) => moderationSetup(openApi(), env);

describe('admin API: messages', () => {
  it('deletes a message for every viewer and from history', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    const ack = await say(a, 'rude thing');
    const id = ack.type === 'ack' ? (ack.id ?? '') : '';
    await a.waitForMessage(() => texts(a).includes('rude thing'), 3000, 'delivered');
    const res = await call('DELETE', `/admin/v1/streams/s/messages/${id}?reason=rude`, {
      token: modToken,
    });
    expect(res).toEqual({ status: 200, body: { deleted: id } });
    await a.waitForMessage(
      () => a.eventsOf('s', 'delete').some((e) => e.id === id),
      3000,
      'delete event',
    );
    const late = await server.connect({ user: 'late' });
    const joined = await late.request({ type: 'join', stream: 's' });
    expect(joined.type === 'joined' && joined.history).toEqual([]);
    expect(
      (await call('DELETE', `/admin/v1/streams/s/messages/${id}`, { token: modToken })).status,
    ).toBe(404);
  });

  it('clears chat, pins and unpins, posts announcements', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    const ack = await say(a, 'pin me');
    const id = ack.type === 'ack' ? (ack.id ?? '') : '';
    await a.waitForMessage(() => texts(a).includes('pin me'), 3000, 'delivered');
    const pin = await call('PUT', '/admin/v1/streams/s/pin', {
      token: modToken,
      body: { messageId: id },
    });
    expect(pin.status).toBe(200);
    await a.waitForMessage(
      () => a.eventsOf('s', 'pin').some((e) => e.message?.id === id),
      3000,
      'pin event',
    );
    const late = await server.connect({ user: 'late' });
    expect(await late.request({ type: 'join', stream: 's' })).toMatchObject({
      pinned: { id, text: 'pin me' },
    });

    expect((await call('DELETE', '/admin/v1/streams/s/pin', { token: modToken })).body).toEqual({
      pinned: null,
    });
    const ann = await call('POST', '/admin/v1/streams/s/announcements', {
      token: modToken,
      body: { text: 'Toss: India bat' },
    });
    expect(ann.status).toBe(201);
    await a.waitForMessage(
      () => a.eventsOf('s', 'announcement').some((e) => e.text === 'Toss: India bat'),
      3000,
      'announcement',
    );
    expect(
      (
        await call('POST', '/admin/v1/streams/s/clear', {
          token: modToken,
          body: { reason: 'reset' },
        })
      ).status,
    ).toBe(200);
    await a.waitForMessage(() => a.eventsOf('s', 'clear').length === 1, 3000, 'clear event');
    const after = await server.connect({ user: 'after' });
    expect(await after.request({ type: 'join', stream: 's' })).toMatchObject({ history: [] });
  });
});

describe('admin API: users', () => {
  it('times a user out on time, and bans and unbans', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const troll = await server.viewer('s', { user: 'troll' });
    const t = await call('POST', '/admin/v1/streams/s/timeouts', {
      token: modToken,
      body: { userId: 'troll', seconds: 1, reason: 'cool off' },
    });
    expect(t.status).toBe(201);
    const refused = await say(troll, 'hello?');
    expect(refused).toMatchObject({ type: 'error', code: ErrorCode.TimedOut });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeLessThanOrEqual(1000);
    await troll.waitForMessage(
      () => troll.eventsOf('s', 'user_removed').length === 1,
      3000,
      'user_removed',
    );
    // The 1 s timeout running out is the scenario (the gateway's clock is real here).
    await new Promise((r) => setTimeout(r, 1100));
    expect((await say(troll, 'back')).type).toBe('ack');

    expect(
      (
        await call('POST', '/admin/v1/streams/s/bans', {
          token: modToken,
          body: { userId: 'troll' },
        })
      ).status,
    ).toBe(201);
    expect(await say(troll, 'again')).toMatchObject({ code: ErrorCode.Banned });
    const list = await call('GET', '/admin/v1/streams/s/bans', { token: modToken });
    expect(list.body).toMatchObject({
      bans: [{ userId: 'troll', scope: 's', until: null, by: 'mod' }],
    });
    expect(
      (await call('DELETE', '/admin/v1/streams/s/bans/troll', { token: modToken })).status,
    ).toBe(200);
    expect((await say(troll, 'sorry')).type).toBe('ack');
    expect(
      (await call('DELETE', '/admin/v1/streams/s/bans/troll', { token: modToken })).status,
    ).toBe(404);
  });

  it('bans service-wide (admin only), in every stream', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const x = await server.viewer('s', { user: 'spammer' });
    await x.request({ type: 'join', stream: 'other' });
    expect(
      (await call('POST', '/admin/v1/bans', { token: modToken, body: { userId: 'spammer' } }))
        .status,
    ).toBe(403);
    expect(
      (
        await call('POST', '/admin/v1/bans', {
          apiKey: API_KEY,
          body: { userId: 'spammer', reason: 'spam' },
        })
      ).status,
    ).toBe(201);
    expect(await say(x, 'buy now', 'other')).toMatchObject({ code: ErrorCode.Banned });
    expect((await call('GET', '/admin/v1/bans', { apiKey: API_KEY })).body).toMatchObject({
      bans: [{ userId: 'spammer', scope: '*' }],
    });
    expect((await call('DELETE', '/admin/v1/bans/spammer', { apiKey: API_KEY })).status).toBe(200);
  });
});

describe('admin API: chat modes', () => {
  async function withSettings(patch: Record<string, unknown>, env: Record<string, string> = {}) {
    const ctx = await setup(env);
    const res = await ctx.call('PATCH', '/admin/v1/streams/s/settings', {
      token: ctx.modToken,
      body: patch,
    });
    expect(res.status).toBe(200);
    return ctx;
  }

  it('enforces slow mode, emote-only, chat off, max length, unique chat and links; moderators are exempt', async () => {
    // Every message, refused or not, takes a rate token: room for this test's refusals in a row.
    const { server, call, modToken } = await withSettings(
      { slowModeS: 30, maxLength: 20, links: 'block', uniqueChat: true },
      { ROAR_CHAT_BURST: '10' },
    );
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    const b = await server.viewer('s', { user: 'b' });
    const mod = await server.viewer('s', { user: 'mod', roles: ['moderator:s'] });
    expect(a.messages.find((m) => m.type === 'joined')).toMatchObject({
      settings: { slowModeS: 30, maxLength: 20, links: 'block' },
    });
    expect((await say(a, 'first')).type).toBe('ack');
    expect(await say(a, 'second')).toMatchObject({
      code: ErrorCode.SlowMode,
      retryAfterMs: expect.any(Number),
    });
    expect(await say(b, 'first')).toMatchObject({ code: ErrorCode.Duplicate });
    expect(await say(b, 'x'.repeat(21))).toMatchObject({ code: ErrorCode.ChatTooLong });
    expect(await say(b, 'see spam.com')).toMatchObject({ code: ErrorCode.LinkNotAllowed });
    expect((await say(mod, 'see roar.dev')).type).toBe('ack');

    await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      body: { slowModeS: 0, emoteOnly: true },
    });
    await a.waitForMessage(
      () => a.eventsOf('s', 'settings').some((e) => e.settings.emoteOnly),
      3000,
      'settings event',
    );
    expect(await say(b, 'words')).toMatchObject({ code: ErrorCode.EmoteOnly });
    expect((await say(b, '🔥🔥')).type).toBe('ack');

    await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      body: { chatEnabled: false },
    });
    await a.waitForMessage(
      () => a.eventsOf('s', 'settings').some((e) => !e.settings.chatEnabled),
      3000,
      'chat off',
    );
    expect(await say(a, '👏')).toMatchObject({ code: ErrorCode.ChatDisabled });
    expect((await say(mod, 'we are back soon')).type).toBe('ack');
  });

  it('enforces subscriber-only and follower-only by token roles', async () => {
    const { server } = await withSettings({ subscribersOnly: true });
    await using _ = server;
    const fan = await server.viewer('s', { user: 'fan' });
    const sub = await server.viewer('s', { user: 'sub', roles: ['subscriber:s'] });
    expect(await say(fan, 'hi')).toMatchObject({ code: ErrorCode.SubscribersOnly });
    expect((await say(sub, 'hi')).type).toBe('ack');
  });

  it('refuses banned terms however they are spelled', async () => {
    const { server } = await withSettings({ bannedTerms: ['cheat'] }, { ROAR_CHAT_BURST: '10' });
    await using _ = server;
    const a = await server.viewer('s', { user: 'a', ...{} });
    for (const text of ['CHEAT', 'ch3at!', 'chеat', 'c h e a t']) {
      expect(await say(a, text), text).toMatchObject({ code: ErrorCode.BannedTerm });
    }
    expect((await say(a, 'cheater cheating is not a word here')).type).toBe('ack');
  });

  it('limits and turns off reactions', async () => {
    const { server, call, modToken } = await withSettings({ reactions: ['🏏'] });
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    expect(a.messages.find((m) => m.type === 'joined')).toMatchObject({ reactions: ['🏏'] });
    expect(await a.request({ type: 'react', stream: 's', emoji: '🔥' })).toMatchObject({
      code: ErrorCode.ReactionNotAllowed,
    });
    expect((await a.request({ type: 'react', stream: 's', emoji: '🏏' })).type).toBe('ack');
    await call('PATCH', '/admin/v1/streams/s/settings', {
      token: modToken,
      body: { reactionsEnabled: false },
    });
    await a.waitForMessage(() => a.eventsOf('s', 'settings').length > 0, 3000, 'settings');
    expect(await a.request({ type: 'react', stream: 's', emoji: '🏏' })).toMatchObject({
      code: ErrorCode.ReactionsDisabled,
    });
  });
});

describe('held messages', () => {
  it('holds what the built-in check flags; a moderator approves or denies', async () => {
    const { server, call, modToken } = await setup({ ROAR_AUTOMOD: 'rules' });
    await using _ = server;
    const a = await server.viewer('s', { user: 'a' });
    const watcher = await server.viewer('s', { user: 'w' });
    const shout = await say(a, 'WHAT A TERRIBLE DECISION BY THE UMPIRE');
    expect(shout).toMatchObject({ type: 'ack', held: true });
    const other = await say(a, 'ANOTHER VERY LOUD MESSAGE HERE');
    const queue = await call('GET', '/admin/v1/streams/s/held', { token: modToken });
    expect(queue.body).toMatchObject({ held: [{ reason: 'caps' }, { reason: 'caps' }] });
    const heldId = shout.type === 'ack' ? (shout.id ?? '') : '';
    expect(
      (await call('POST', `/admin/v1/streams/s/held/${heldId}/approve`, { token: modToken }))
        .status,
    ).toBe(200);
    await watcher.waitForMessage(
      () => texts(watcher).includes('WHAT A TERRIBLE DECISION BY THE UMPIRE'),
      3000,
      'approved',
    );
    const otherId = other.type === 'ack' ? (other.id ?? '') : '';
    expect(
      (
        await call('POST', `/admin/v1/streams/s/held/${otherId}/deny`, {
          token: modToken,
          body: { reason: 'no' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('POST', `/admin/v1/streams/s/held/${otherId}/approve`, { token: modToken }))
        .status,
    ).toBe(404);
    expect(texts(watcher)).not.toContain('ANOTHER VERY LOUD MESSAGE HERE');
  });

  it('delays viewers’ messages by holdS so a moderator can remove them first', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    await call('PATCH', '/admin/v1/streams/s/settings', { token: modToken, body: { holdS: 1 } });
    const a = await server.viewer('s', { user: 'a' });
    const watcher = await server.viewer('s', { user: 'w' });
    const keep = await say(a, 'nice shot');
    const drop = await say(a, 'spoiler alert');
    expect(keep).toMatchObject({ held: true });
    const dropId = drop.type === 'ack' ? (drop.id ?? '') : '';
    expect(
      (await call('DELETE', `/admin/v1/streams/s/messages/${dropId}`, { token: modToken })).status,
    ).toBe(200);
    expect(texts(watcher)).toEqual([]);
    await watcher.waitForMessage(
      () => texts(watcher).includes('nice shot'),
      4000,
      'released after the delay',
    );
    // A window in which the deleted message must not show up (the scenario), not a settle.
    await new Promise((r) => setTimeout(r, 300));
    expect(texts(watcher)).toEqual(['nice shot']);
  });

  it('asks a webhook within its time budget, failing open or closed as configured', async () => {
    const { createServer } = await import('node:http');
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { text } = JSON.parse(body) as { text: string };
        if (text.includes('slow')) return setTimeout(() => res.end('{"action":"allow"}'), 1000);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            action: text.includes('bad') ? 'deny' : text.includes('iffy') ? 'hold' : 'allow',
          }),
        );
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const address = hook.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/check`;
    try {
      for (const failMode of ['open', 'closed'] as const) {
        const { server } = await setup({
          ROAR_AUTOMOD: 'webhook',
          ROAR_AUTOMOD_URL: url,
          ROAR_AUTOMOD_TIMEOUT_MS: '100',
          ROAR_AUTOMOD_FAIL: failMode,
          ROAR_CHAT_BURST: '10',
          ROAR_CHAT_RATE: '10',
        });
        await using _ = server;
        const a = await server.viewer('s', { user: 'a' });
        expect(await say(a, 'fine')).toMatchObject({ type: 'ack' });
        expect(await say(a, 'bad words')).toMatchObject({ code: ErrorCode.Denied });
        expect(await say(a, 'iffy one')).toMatchObject({ held: true });
        const slow = await say(a, 'slow check');
        if (failMode === 'open') expect(slow).toMatchObject({ type: 'ack' });
        else expect(slow).toMatchObject({ type: 'ack', held: true });
        expect(slow.type === 'ack' && slow.held).toBe(failMode === 'closed' ? true : undefined);
      }
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
