import type { QaEvent } from '@roar/protocol';
import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { gatewayInProcess, type Node, useBrokers } from './cluster-harness.js';
import { token } from './harness.js';

const brokers = useBrokers('qa');
const prefix = brokers.prefix;

const board = (c: TestClient, stream: string): QaEvent | undefined =>
  c.eventsOf(stream, 'qa').at(-1);

/** Waits until `c`'s latest board satisfies `ok`. */
async function boardWhere(
  c: TestClient,
  stream: string,
  ok: (b: QaEvent) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<QaEvent> {
  await c
    .waitForMessage(
      () => {
        const b = board(c, stream);
        return b !== undefined && ok(b);
      },
      timeoutMs,
      what,
    )
    .catch((error: unknown) => {
      throw new Error(`${String(error)}; the last board: ${JSON.stringify(board(c, stream))}`);
    });
  return board(c, stream) as QaEvent;
}

async function reply(
  c: TestClient,
  message: Parameters<TestClient['request']>[0],
): Promise<string> {
  const r = await c.request(message);
  return r.type === 'error' ? r.code : r.type;
}

const env = (p: string): Record<string, string> => ({
  ...brokers.env(p),
  ROAR_QA_ASK_INTERVAL_MS: '60000',
});

describe('Q&A over real NATS and Redis, three gateways', () => {
  it(
    'orders exactly by upvotes, counts a user once across gateways, hides and picks everywhere',
    { timeout: 90_000 },
    async () => {
      const started = Date.now();
      const p = prefix();
      const s = 'qa1';
      await using a = await gatewayInProcess(env(p));
      await using b = await gatewayInProcess(env(p));
      await using c = await gatewayInProcess(env(p));
      const gateways: Node[] = [a, b, c];
      const host = await b.viewer(s, { token: await token('host', { roles: ['moderator:qa1'] }) });
      // Signed-in viewers, spread over the three gateways.
      const viewers: TestClient[] = [];
      for (let i = 0; i < 9; i++) viewers.push(await gateways[i % 3]!.viewer(s, { user: `v${i}` }));
      const [v0, v1, v2, v3] = viewers as [TestClient, TestClient, TestClient, TestClient];

      expect(await reply(v0, { type: 'ask', stream: s, text: 'too early?' })).toBe('qa_closed');
      expect(await reply(v0, { type: 'qa_mod', stream: s, action: { type: 'open' } })).toBe(
        'forbidden',
      );
      expect(await reply(host, { type: 'qa_mod', stream: s, action: { type: 'open' } })).toBe(
        'ack',
      );
      // The opener's publish reaches every gateway: every viewer sees an open, empty board.
      for (const v of viewers) await boardWhere(v, s, (x) => x.open, 'an open board');

      // Four questions from v0..v3 (on gateways a, b, c, a); each asker sees theirs in the ack.
      const ids: string[] = [];
      for (const [i, v] of [v0, v1, v2, v3].entries()) {
        const r = await v.request({ type: 'ask', stream: s, text: `question ${i}` });
        expect(r.type, JSON.stringify(r)).toBe('ack');
        ids.push((r as { id: string }).id);
      }
      const [q0, q1, q2, q3] = ids as [string, string, string, string];
      // Over the limits: a second question within the interval, one too long.
      const again = await v0.request({ type: 'ask', stream: s, text: 'another' });
      expect(again).toMatchObject({ type: 'error', code: 'rate_limited' });
      expect((again as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(50_000);
      expect(await reply(viewers[5]!, { type: 'ask', stream: s, text: 'x'.repeat(301) })).toBe(
        'question_too_long',
      );

      // The truth: q2 gets 6 upvotes, q0 4, q3 2, q1 none; each from distinct users.
      const plan: [string, number][] = [
        [q2, 6],
        [q0, 4],
        [q3, 2],
      ];
      const asker = new Map([
        [q0, 0],
        [q1, 1],
        [q2, 2],
        [q3, 3],
      ]);
      const sends: Promise<string>[] = [];
      for (const [id, count] of plan) {
        const voters = viewers
          .map((v, i) => [v, i] as const)
          .filter(([, i]) => i !== asker.get(id))
          .slice(0, count);
        for (const [v] of voters) sends.push(reply(v, { type: 'upvote', stream: s, id }));
      }
      expect((await Promise.all(sends)).every((r) => r === 'ack')).toBe(true);

      // One user on two gateways: v8 (on c) also connects to a; the upvote counts once.
      const v8Again = await a.viewer(s, { user: 'v8' });
      const both = await Promise.all([
        reply(viewers[8]!, { type: 'upvote', stream: s, id: q1 }),
        reply(v8Again, { type: 'upvote', stream: s, id: q1 }),
      ]);
      expect(both.sort()).toEqual(['ack', 'already_upvoted']);
      // A flood from one identity counts once too.
      const flood = await Promise.all(
        Array.from({ length: 10 }, () => reply(viewers[7]!, { type: 'upvote', stream: s, id: q1 })),
      );
      expect(flood.filter((r) => r === 'ack')).toHaveLength(1);
      expect(flood.filter((r) => r === 'already_upvoted')).toHaveLength(9);
      // Typed refusals.
      expect(await reply(v0, { type: 'upvote', stream: s, id: q0 })).toBe('own_question');
      expect(await reply(v0, { type: 'upvote', stream: s, id: 'q99999999' })).toBe('not_found');

      const expected = [
        [q2, 6],
        [q0, 4],
        [q1, 2],
        [q3, 2],
      ];
      // q1 and q3 tie at 2: the newer (q3) first.
      expected.splice(2, 2, [q3, 2], [q1, 2]);
      for (const v of [...viewers, v8Again, host]) {
        const final = await boardWhere(
          v,
          s,
          (x) => JSON.stringify(x.top.map((q) => [q.id, q.upvotes])) === JSON.stringify(expected),
          'the exact order on every gateway',
        );
        expect(final.top.map((q) => q.text)).toEqual([
          'question 2',
          'question 0',
          'question 3',
          'question 1',
        ]);
      }

      // v0 on another device (gateway c): their own question, with its upvotes, from the store.
      const v0Elsewhere = await c.viewer(s, { user: 'v0' });
      const mine = await v0Elsewhere.request({ type: 'qa_mine', stream: s });
      expect(mine).toMatchObject({
        type: 'ack',
        questions: [{ id: q0, text: 'question 0', upvotes: 4 }],
      });
      expect((mine as { questions: unknown[] }).questions).toHaveLength(1);

      // A moderator hides q0 and picks q2: every viewer's board loses q0 and highlights q2.
      expect(
        await reply(host, { type: 'qa_mod', stream: s, action: { type: 'hide', id: q0 } }),
      ).toBe('ack');
      expect(
        await reply(host, { type: 'qa_mod', stream: s, action: { type: 'pick', id: q2 } }),
      ).toBe('ack');
      for (const v of viewers) {
        const x = await boardWhere(
          v,
          s,
          (x) => x.picked?.id === q2 && !x.top.some((q) => q.id === q0),
          'q0 hidden and q2 picked',
        );
        expect(x.picked).toMatchObject({ id: q2, text: 'question 2', upvotes: 6 });
      }
      expect(await reply(viewers[8]!, { type: 'upvote', stream: s, id: q0 })).toBe(
        'question_hidden',
      );
      expect(
        await reply(host, { type: 'qa_mod', stream: s, action: { type: 'pick', id: q0 } }),
      ).toBe('question_hidden');

      // A viewer joining late gets the board in its join snapshot.
      const late = await c.viewer(s, { user: 'late' });
      const snapshot = await boardWhere(late, s, () => true, 'the snapshot');
      expect(snapshot.picked?.id).toBe(q2);

      // Boards are latest-value frames: at most one per read interval (1 s) per viewer, plus
      // one per moderator action (published at once; 3 so far) and the join snapshot.
      const frames = v1.eventsOf(s, 'qa').length;
      expect(frames).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 3 + 1);

      expect(await reply(host, { type: 'qa_mod', stream: s, action: { type: 'close' } })).toBe(
        'ack',
      );
      await boardWhere(v2, s, (x) => !x.open, 'a closed board');
      expect(await reply(v2, { type: 'ask', stream: s, text: 'closed now?' })).toBe('qa_closed');
      expect(await reply(v2, { type: 'upvote', stream: s, id: q3 })).toBe('qa_closed');
    },
  );
});
