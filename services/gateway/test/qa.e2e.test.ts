import type { QaEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { startServer, token } from './harness.js';
import { API_KEY, moderationSetup, useOpenApi } from './moderation-harness.js';

const api = useOpenApi();

// The embedded mode (`npm start`): memory store and bus, one process.
describe('Q&A in embedded mode', () => {
  it('opens, takes questions through the chat rules, counts upvotes, picks and hides', async () => {
    await using server = await startServer({ ROAR_QA_ASK_INTERVAL_MS: '60000' });
    const host = await server.viewer('e', { user: 'host', roles: ['broadcaster:e'] });
    const asker = await server.viewer('e', { user: 'asker' });
    const fan = await server.viewer('e', { user: 'fan' });
    const anon = await server.viewer('e');
    const last = (): QaEvent | undefined => fan.eventsOf('e', 'qa').at(-1);

    expect(
      await host.request({ type: 'qa_mod', stream: 'e', action: { type: 'open' } }),
    ).toMatchObject({ type: 'ack' });
    await fan.waitForMessage(() => last()?.open === true, 5000, 'an open board');

    // Banned terms apply to questions as to chat.
    expect(
      await host.request({
        type: 'mod',
        stream: 'e',
        action: { type: 'settings', settings: { bannedTerms: ['spoiler'] } },
      }),
    ).toMatchObject({ type: 'ack' });
    expect(await asker.request({ type: 'ask', stream: 'e', text: 'a SPOILER?' })).toMatchObject({
      type: 'error',
      code: 'banned_term',
    });
    expect(await anon.request({ type: 'ask', stream: 'e', text: 'me?' })).toMatchObject({
      type: 'error',
      code: 'unauthenticated',
    });
    const asked = await asker.request({ type: 'ask', stream: 'e', text: 'who bats next?' });
    expect(asked).toMatchObject({ type: 'ack' });
    const id = (asked as { id: string }).id;
    expect(await fan.request({ type: 'upvote', stream: 'e', id })).toMatchObject({ type: 'ack' });
    expect(await fan.request({ type: 'upvote', stream: 'e', id })).toMatchObject({
      code: 'already_upvoted',
    });
    expect(await asker.request({ type: 'upvote', stream: 'e', id })).toMatchObject({
      code: 'own_question',
    });
    await fan.waitForMessage(() => last()?.top[0]?.upvotes === 1, 5000, 'one upvote on the board');

    expect(
      await host.request({ type: 'qa_mod', stream: 'e', action: { type: 'pick', id } }),
    ).toMatchObject({ type: 'ack' });
    await fan.waitForMessage(() => last()?.picked?.id === id, 5000, 'the picked question');
    expect(
      await host.request({ type: 'qa_mod', stream: 'e', action: { type: 'hide', id } }),
    ).toMatchObject({ type: 'ack' });
    await fan.waitForMessage(
      () => last()?.picked === null && last()?.top.length === 0,
      5000,
      'hidden',
    );
    expect(
      await fan.request({ type: 'qa_mod', stream: 'e', action: { type: 'show', id } }),
    ).toMatchObject({ code: 'forbidden' });
  });

  it('runs from the admin API as the backend would: open, pick, read the board, with the document checked', async () => {
    const { server, call, modToken } = await moderationSetup(api());
    await using _server = server;
    const viewer = await server.viewer('s', { user: 'fan' });
    const asker = await server.viewer('s', { user: 'asker' });
    const path = '/admin/v1/streams/s/qa/actions';
    expect((await call('POST', path, { body: { type: 'open' } })).status).toBe(401);
    const opened = await call('POST', path, { apiKey: API_KEY, body: { type: 'open' } });
    expect(opened).toMatchObject({ status: 200, body: { board: { open: true, top: [] } } });
    const r = await asker.request({ type: 'ask', stream: 's', text: 'when is the break?' });
    const id = (r as { id: string }).id;
    const picked = await call('POST', path, { token: modToken, body: { type: 'pick', id } });
    expect(picked).toMatchObject({ status: 200, body: { board: { picked: { id } } } });
    await viewer.waitForMessage(
      () => viewer.eventsOf('s', 'qa').at(-1)?.picked?.id === id,
      5000,
      'the picked question on the viewer',
    );
    const fan = await token('fan');
    expect((await call('POST', path, { token: fan, body: { type: 'close' } })).status).toBe(403);
    expect(
      (await call('POST', path, { apiKey: API_KEY, body: { type: 'hide', id: 'q99999999' } }))
        .status,
    ).toBe(404);
    expect((await call('POST', path, { apiKey: API_KEY, body: { type: 'pick' } })).status).toBe(
      400,
    );
    const storeCalls = async (op: string): Promise<number> => {
      const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
      const line = new RegExp(`^roar_qa_store_calls_total\\{[^}]*op="${op}"[^}]*\\} (\\d+)`, 'm');
      return Number(line.exec(text)?.[1] ?? 0);
    };
    const boardReads = await storeCalls('board');
    const board = await call('GET', '/admin/v1/streams/s/qa', { token: modToken });
    expect(board).toMatchObject({ status: 200, body: { board: { open: true, picked: { id } } } });
    // The admin API's store calls are counted like the WebSocket's.
    expect(await storeCalls('board')).toBe(boardReads + 1);
    const audit = await call('GET', '/admin/v1/streams/s/audit', { apiKey: API_KEY });
    expect(JSON.stringify(audit.body)).toContain('qa_pick');
  });

  it('at degradation level 4 refuses viewers\u2019 questions (read_only) and keeps counting upvotes', async () => {
    await using server = await startServer({ ROAR_LEVEL: '4' });
    const host = await server.viewer('d', { user: 'host', roles: ['broadcaster:d'] });
    const fan = await server.viewer('d', { user: 'fan' });
    expect(
      await host.request({ type: 'qa_mod', stream: 'd', action: { type: 'open' } }),
    ).toMatchObject({ type: 'ack' });
    expect(await fan.request({ type: 'ask', stream: 'd', text: 'busy?' })).toMatchObject({
      code: 'read_only',
    });
    const asked = await host.request({ type: 'ask', stream: 'd', text: 'the host still asks' });
    expect(asked).toMatchObject({ type: 'ack' });
    const id = (asked as { id: string }).id;
    expect(await fan.request({ type: 'upvote', stream: 'd', id })).toMatchObject({ type: 'ack' });
  });

  it('lists held questions for moderators (automod holds), and shows one on the board', async () => {
    const { server, call, modToken } = await moderationSetup(api(), { ROAR_AUTOMOD: 'rules' });
    await using _server = server;
    const asker = await server.viewer('s', { user: 'asker' });
    const path = '/admin/v1/streams/s/qa';
    await call('POST', `${path}/actions`, { apiKey: API_KEY, body: { type: 'open' } });
    // Shouting: the built-in automod holds it; the asker hears `held`, viewers see nothing yet.
    const viewer = await server.viewer('s', { user: 'fan' });
    const held = await asker.request({
      type: 'ask',
      stream: 's',
      text: 'WHY IS THE CAPTAIN NOT BATTING NOW',
    });
    expect(held).toMatchObject({ type: 'ack', held: true });
    const id = (held as { id: string }).id;
    expect(await viewer.request({ type: 'upvote', stream: 's', id })).toMatchObject({
      code: 'question_hidden',
    });
    const listed = await call('GET', `${path}/questions?state=held`, { token: modToken });
    expect(listed).toMatchObject({
      status: 200,
      body: { questions: [{ id, text: 'WHY IS THE CAPTAIN NOT BATTING NOW', upvotes: 0 }] },
    });
    expect(
      await call('POST', `${path}/actions`, { token: modToken, body: { type: 'show', id } }),
    ).toMatchObject({ status: 200, body: { board: { top: [{ id }] } } });
    await viewer.waitForMessage(
      () => viewer.eventsOf('s', 'qa').at(-1)?.top[0]?.id === id,
      5000,
      'the shown question',
    );
    expect(await call('GET', `${path}/questions?state=held`, { token: modToken })).toMatchObject({
      body: { questions: [] },
    });
    expect((await call('GET', `${path}/questions?state=gone`, { token: modToken })).status).toBe(
      400,
    );
    expect(
      (await call('GET', `${path}/questions?state=held`, { token: await token('fan') })).status,
    ).toBe(403);
  });
});
