import { ErrorCode, type PollEvent } from '@roar/protocol';
import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { token } from './harness.js';
import { API_KEY, moderationSetup, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();
/** Fast poll timers: batches every 50 ms, results every 200 ms, a 200 ms grace. */
const POLL_ENV = {
  ROAR_POLL_FLUSH_MS: '50',
  ROAR_POLL_RESULTS_MS: '200',
  ROAR_POLL_GRACE_MS: '200',
};
const setup = () => moderationSetup(openApi(), POLL_ENV);

const polls = (c: TestClient, stream = 's'): PollEvent[] => c.eventsOf(stream, 'poll');
const lastPoll = (c: TestClient, stream = 's'): PollEvent | undefined => polls(c, stream).at(-1);
const showsPoll = (
  c: TestClient,
  what: string,
  test: (p: PollEvent) => boolean,
  timeoutMs = 5000,
) => c.waitForMessage(() => polls(c).some(test), timeoutMs, what);
const errorOf = (reply: unknown): string | undefined =>
  (reply as { type: string; code?: string }).type === 'error'
    ? (reply as { code: string }).code
    : undefined;

describe('polls (embedded)', () => {
  it('runs a quiz from the admin API: one vote per identity, exact results, answer at the close', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const asha = await server.viewer('s', { user: 'asha' });
    const ben = await server.viewer('s', { user: 'ben' });
    const anon = await server.viewer('s');
    const opened = await call('POST', '/admin/v1/streams/s/polls', {
      apiKey: API_KEY,
      body: { question: 'Who wins?', options: ['India', 'Pakistan', 'Rain'], correct: 2 },
    });
    expect(opened.status).toBe(201);
    const id = (opened.body as { poll: { id: string } }).poll.id;
    await showsPoll(asha, 'the poll opening', (p) => p.id === id && p.state === 'open');
    // The answer is not told before the close.
    expect(polls(asha).some((p) => p.correct !== undefined)).toBe(false);

    const vote = (c: TestClient, option: number, poll = id) =>
      c.request({ type: 'vote', stream: 's', poll, option });
    expect((await vote(asha, 0)).type).toBe('ack');
    // A flood of the same vote is answered here and counts once.
    for (let i = 0; i < 5; i++) expect((await vote(asha, 0)).type).toBe('ack');
    expect(errorOf(await vote(asha, 1))).toBe(ErrorCode.AlreadyVoted);
    expect(errorOf(await vote(anon, 1))).toBe(ErrorCode.Unauthenticated);
    expect(errorOf(await vote(ben, 3))).toBe(ErrorCode.InvalidOption);
    expect(errorOf(await vote(ben, 1, 'nosuchpoll'))).toBe(ErrorCode.NotFound);
    expect(errorOf(await ben.request({ type: 'vote', stream: 's', poll: id, option: 9 }))).toBe(
      ErrorCode.InvalidField,
    );
    expect((await vote(ben, 1)).type).toBe('ack');
    await showsPoll(asha, 'results with both votes', (p) => p.total === 2);
    expect(lastPoll(asha)).toMatchObject({
      votes: [1, 1, 0],
      percents: [50, 50, 0],
      text: '2 votes',
    });

    // Another poll cannot open over this one.
    const again = await call('POST', '/admin/v1/streams/s/polls', {
      apiKey: API_KEY,
      body: { question: 'Again?', options: ['a', 'b'] },
    });
    expect(again.status).toBe(409);
    const closed = await call('POST', `/admin/v1/streams/s/polls/${id}/close`, { apiKey: API_KEY });
    expect(closed.status).toBe(200);
    await showsPoll(ben, 'counting', (p) => p.state === 'counting');
    await showsPoll(ben, 'the final result', (p) => p.state === 'closed');
    expect(lastPoll(ben)).toMatchObject({
      state: 'closed',
      votes: [1, 1, 0],
      total: 2,
      correct: 2,
    });
    expect(errorOf(await vote(ben, 0))).toBe(ErrorCode.PollClosed);

    // Results stay readable: over the API, and as the snapshot a late joiner gets.
    const read = await call('GET', `/admin/v1/streams/s/polls/${id}`, { apiKey: API_KEY });
    expect(read.body).toMatchObject({ poll: { votes: [1, 1, 0], final: true, open: false } });
    const current = await call('GET', '/admin/v1/streams/s/polls/current', { apiKey: API_KEY });
    expect((current.body as { poll: { id: string } }).poll.id).toBe(id);
    const late = await server.viewer('s', { user: 'late' });
    await showsPoll(late, 'the snapshot', (p) => p.id === id && p.state === 'closed', 2000);
    const audit = await call('GET', '/admin/v1/streams/s/audit?limit=5', { apiKey: API_KEY });
    expect((audit.body as { entries: { action: string }[] }).entries.map((e) => e.action)).toEqual([
      'poll_close',
      'poll_open',
    ]);
  });

  it('lets moderators open and close polls over WebSocket, and only them', async () => {
    const { server } = await setup();
    await using _ = server;
    const mod = await server.viewer('s', { user: 'mod', roles: ['moderator:s'] });
    const viewer = await server.viewer('s', { user: 'v' });
    const open = {
      type: 'open' as const,
      question: 'Next over?',
      options: ['4', '6'],
      allowChange: true,
    };
    expect(errorOf(await viewer.request({ type: 'poll', stream: 's', action: open }))).toBe(
      ErrorCode.Forbidden,
    );
    const ack = await mod.request({ type: 'poll', stream: 's', action: open });
    expect(ack.type).toBe('ack');
    const id = (ack as { id: string }).id;
    await showsPoll(viewer, 'the poll', (p) => p.id === id);
    // A poll that allows it takes a changed vote: it moves.
    await viewer.request({ type: 'vote', stream: 's', poll: id, option: 0 });
    await viewer.request({ type: 'vote', stream: 's', poll: id, option: 1 });
    expect(
      (await mod.request({ type: 'poll', stream: 's', action: { type: 'close', poll: id } })).type,
    ).toBe('ack');
    await showsPoll(viewer, 'the final result', (p) => p.state === 'closed');
    expect(lastPoll(viewer)).toMatchObject({ votes: [0, 1], total: 1 });
    expect(lastPoll(viewer)?.correct).toBeUndefined();
  });

  it('closes at the deadline by itself and takes anonymous votes when the poll says so', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const anon = await server.viewer('s');
    const started = Date.now();
    const opened = await call('POST', '/admin/v1/streams/s/polls', {
      token: await token('b', { roles: ['broadcaster:s'] }),
      body: { question: 'Quick?', options: ['yes', 'no'], durationS: 5, anonymous: true },
    });
    expect(opened.status).toBe(201);
    const { id, endsAt } = (opened.body as { poll: { id: string; endsAt: number } }).poll;
    expect(endsAt - started).toBeGreaterThanOrEqual(5000);
    await showsPoll(anon, 'the poll', (p) => p.id === id);
    expect((await anon.request({ type: 'vote', stream: 's', poll: id, option: 1 })).type).toBe(
      'ack',
    );
    await showsPoll(anon, 'the final result', (p) => p.state === 'closed', 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
    expect(lastPoll(anon)).toMatchObject({ votes: [0, 1], total: 1 });
  });
});
