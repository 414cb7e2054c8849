import type { QaEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { answerJoin, harness } from '../test/client-harness.js';
import { settle } from '../test/fakes.js';
import { Qa, type StreamQa } from './qa.js';

const board = (rev: number, ts: number): QaEvent => ({
  type: 'qa',
  rev,
  ts,
  open: true,
  top: [{ id: 'q00000001', user: { id: 'u', name: 'U' }, text: 'why?', ts, upvotes: rev }],
  picked: null,
});

describe('Qa (@roar/client/qa)', () => {
  it('asks, upvotes and moderates with checked requests, and resolves with the acks', async () => {
    const h = harness();
    const qa = new Qa(h.client);
    const t = await h.open();
    const asking = qa.ask('s', '  who bats next?  ');
    expect(t.last('ask')).toEqual({
      type: 'ask',
      ref: expect.any(Number),
      stream: 's',
      text: 'who bats next?',
    });
    t.push({ type: 'ack', ref: t.last('ask').ref ?? -1, id: 'q00000001', ts: 5 });
    await expect(asking).resolves.toEqual({ id: 'q00000001', ts: 5, held: false });

    const upvoting = qa.upvote('s', 'q00000001');
    const ref = t.last('upvote').ref ?? -1;
    t.push({ type: 'error', ref, code: 'already_upvoted', message: 'once' });
    await expect(upvoting).rejects.toMatchObject({ code: 'already_upvoted' });

    await expect(qa.ask('s', 'x'.repeat(301))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(qa.moderate('s', { type: 'pick' } as never)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const picking = qa.moderate('s', { type: 'pick', id: 'q00000001' });
    expect(t.last('qa_mod')).toMatchObject({ action: { type: 'pick', id: 'q00000001' } });
    t.push({ type: 'ack', ref: t.last('qa_mod').ref ?? -1 });
    await expect(picking).resolves.toBeUndefined();

    const mine = qa.mine('s');
    const own = board(3, 5).top;
    t.push({ type: 'ack', ref: t.last('qa_mine').ref ?? -1, questions: own });
    await expect(mine).resolves.toEqual(own);
  });

  it('holds boards for playback alignment, like chat', async () => {
    const h = harness({ playback: { latencyMs: 3000 } });
    const seen: StreamQa[] = [];
    new Qa(h.client).on('qa', (board) => seen.push(board));
    const t = await h.open();
    t.push({ type: 'pong', ref: t.last('ping').ref ?? -1, ts: h.clock.now() });
    await settle();
    void h.client.join('s');
    answerJoin(t, 's');
    const now = h.client.serverNow();
    t.push({ type: 'batch', stream: 's', events: [board(1, now)] });
    t.push({ type: 'batch', stream: 's', events: [{ type: 'qa', rev: 'x' } as never] });
    expect(seen).toEqual([]);
    h.clock.advance(3000);
    expect(seen).toEqual([
      { stream: 's', rev: 1, ts: now, open: true, top: board(1, now).top, picked: null },
    ]);
  });
});
