import type { PollEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { answerJoin, harness } from '../test/client-harness.js';
import { Polls, type StreamPoll } from './polls.js';
import { settle, type FakeTransport } from '../test/fakes.js';

async function joined(t: FakeTransport, join: Promise<unknown>): Promise<void> {
  answerJoin(t, 's');
  await join;
}

const poll = (ts: number, over: Partial<PollEvent> = {}): PollEvent => ({
  type: 'poll',
  id: 'p1',
  ts,
  question: 'Who wins?',
  options: ['India', 'Pakistan'],
  state: 'open',
  endsAt: null,
  allowChange: false,
  anonymous: false,
  votes: [0, 0],
  total: 0,
  percents: [0, 0],
  text: '0 votes',
  ...over,
});

describe('Polls (@roar/client/polls)', () => {
  it('votes, opens and closes polls with checked requests', async () => {
    const h = harness({ token: 'jwt' });
    const polls = new Polls(h.client);
    const t = await h.open();
    const voted = polls.vote('s', 'p1', 1);
    expect(t.last('vote')).toEqual({
      type: 'vote',
      ref: expect.any(Number),
      stream: 's',
      poll: 'p1',
      option: 1,
    });
    t.push({ type: 'ack', ref: t.last('vote').ref ?? -1 });
    await expect(voted).resolves.toBeUndefined();
    const opened = polls.open('s', { question: 'Q?', options: ['a', 'b'], durationS: 30 });
    expect(t.last('poll')).toMatchObject({
      action: { type: 'open', question: 'Q?', options: ['a', 'b'], durationS: 30 },
    });
    t.push({ type: 'ack', ref: t.last('poll').ref ?? -1, id: 'p2' });
    await expect(opened).resolves.toBe('p2');
    const closed = polls.close('s', 'p2');
    expect(t.last('poll')).toMatchObject({ action: { type: 'close', poll: 'p2' } });
    t.push({ type: 'ack', ref: t.last('poll').ref ?? -1 });
    await expect(closed).resolves.toBeUndefined();
    // Malformed requests are refused before anything is sent.
    const sent = t.sent.length;
    await expect(polls.vote('s', 'p1', -1)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(polls.open('s', { question: 'Q', options: ['only'] })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(t.sent.length).toBe(sent);
  });

  it('holds poll events for the player like chat: no result before the picture shows it', async () => {
    const h = harness({ playback: { latencyMs: 3000 } });
    const seen: StreamPoll[] = [];
    new Polls(h.client).on('poll', (p) => seen.push(p));
    const t = await h.open();
    t.push({ type: 'pong', ref: t.last('ping').ref ?? -1, ts: h.clock.now() });
    await settle();
    const join = h.client.join('s');
    answerJoin(t, 's');
    await join;
    const now = h.client.serverNow();
    t.push({ type: 'batch', stream: 's', events: [poll(now)] });
    h.clock.advance(1000);
    t.push({
      type: 'batch',
      stream: 's',
      events: [poll(now + 1000, { state: 'closed', votes: [3, 1], total: 4, correct: 0 })],
    });
    expect(seen).toEqual([]);
    h.clock.advance(2000);
    expect(seen.map((p) => p.poll.state)).toEqual(['open']);
    h.clock.advance(999);
    expect(seen.map((p) => p.poll.state)).toEqual(['open']);
    h.clock.advance(1);
    expect(seen.map((p) => p.poll.state)).toEqual(['open', 'closed']);
    expect(seen[1]).toMatchObject({ stream: 's', poll: { votes: [3, 1], correct: 0 } });
  });

  it('emits nothing for a stream left while its poll was held, nor without a Polls', async () => {
    const h = harness();
    const t = await h.open();
    await joined(t, h.client.join('s'));
    // No Polls made: the event is skipped like an unknown type, and nothing breaks.
    t.push({ type: 'batch', stream: 's', events: [poll(h.clock.now())] });
    const seen: StreamPoll[] = [];
    new Polls(h.client).on('poll', (p) => seen.push(p));
    t.push({ type: 'batch', stream: 's', events: [poll(h.clock.now(), { total: 1 })] });
    expect(seen.map((p) => p.poll.total)).toEqual([1]);
  });
});
