import { describe, expect, it } from 'vitest';
import { MINE_KEPT, questionId, type NewQuestion, type QaStore } from './qa.js';

const T = 1_700_000_000_000;

const question = (author: string, text: string, ts = T, held = false): NewQuestion => ({
  author,
  user: { id: author, name: `name of ${author}` },
  text,
  ts,
  held,
});

async function askOk(qa: QaStore, stream: string, q: NewQuestion): Promise<string> {
  const outcome = await qa.ask(stream, q, 60_000);
  if (!outcome.ok) throw new Error(`ask refused: ${outcome.reason}`);
  return outcome.id;
}

/** What every `QaStore` promises (see qa.ts). */
export function describeQaContract(store: () => QaStore): void {
  describe('qa', () => {
    it('refuses questions until the Q&A opens; a stream without one has rev 0', async () => {
      const qa = store();
      expect(await qa.board('none', 5)).toEqual({
        rev: 0,
        ts: 0,
        open: false,
        top: [],
        picked: null,
      });
      expect(await qa.ask('s', question('a', 'why?'), 60_000)).toEqual({
        ok: false,
        reason: 'closed',
      });
      const rev = await qa.setOpen('s', true, T);
      expect(rev).toBeGreaterThan(0);
      const outcome = await qa.ask('s', question('a', 'why?', T + 1), 60_000);
      expect(outcome).toEqual({ ok: true, id: questionId(1), rev: rev + 1 });
      await qa.setOpen('s', false, T + 2);
      expect((await qa.ask('s', question('b', 'how?', T + 3), 60_000)).ok).toBe(false);
      const board = await qa.board('s', 5);
      expect(board).toMatchObject({ open: false, ts: T + 2 });
      // A closed board stays readable.
      expect(board.top.map((q) => q.text)).toEqual(['why?']);
    });

    it('orders by upvotes exactly, ties newest first, and cuts at n', async () => {
      const qa = store();
      await qa.setOpen('o', true, T);
      const ids: string[] = [];
      for (const author of ['a', 'b', 'c', 'd'])
        ids.push(await askOk(qa, 'o', question(author, `q-${author}`)));
      const [a, b, c, d] = ids as [string, string, string, string];
      const votes = [
        { id: c, voter: 'x' },
        { id: c, voter: 'y' },
        { id: a, voter: 'x' },
        { id: c, voter: 'z' },
        { id: a, voter: 'y' },
        { id: d, voter: 'x' },
      ];
      expect(await qa.upvote('o', votes, T + 5)).toEqual(Array(6).fill('counted'));
      const board = await qa.board('o', 10);
      // c 3, a 2, d 1, b 0; a and d are not tied, so only b's place depends on the tie rule.
      expect(board.top.map((q) => [q.id, q.upvotes])).toEqual([
        [c, 3],
        [a, 2],
        [d, 1],
        [b, 0],
      ]);
      expect(board.top[0]).toEqual({
        id: c,
        user: { id: 'c', name: 'name of c' },
        text: 'q-c',
        ts: T,
        upvotes: 3,
      });
      await qa.upvote(
        'o',
        [
          { id: b, voter: 'x' },
          { id: b, voter: 'y' },
        ],
        T + 6,
      );
      // a and b tie at 2: the newer (b) first.
      expect((await qa.board('o', 3)).top.map((q) => q.id)).toEqual([c, b, a]);
      expect(await qa.board('o', 0)).toMatchObject({ top: [] });
    });

    it('counts one upvote per voter per question, however often and however concurrently', async () => {
      const qa = store();
      await qa.setOpen('u', true, T);
      const id = await askOk(qa, 'u', question('a', 'one?'));
      const flood = Array.from({ length: 50 }, () => ({ id, voter: 'v' }));
      const first = await qa.upvote('u', flood, T);
      expect(first[0]).toBe('counted');
      expect(first.slice(1).every((o) => o === 'duplicate')).toBe(true);
      // Two gateways' batches at once, with the same voter in both.
      const both = await Promise.all([
        qa.upvote('u', [{ id, voter: 'w' }], T),
        qa.upvote('u', [{ id, voter: 'w' }], T),
      ]);
      expect(both.flat().sort()).toEqual(['counted', 'duplicate']);
      expect((await qa.board('u', 1)).top[0]?.upvotes).toBe(2);
    });

    it('refuses own, missing, hidden and held questions, and everything once closed', async () => {
      const qa = store();
      await qa.setOpen('r', true, T);
      const mine = await askOk(qa, 'r', question('me', 'mine'));
      const hidden = await askOk(qa, 'r', question('h', 'hide me'));
      const held = await askOk(qa, 'r', question('l', 'held', T, true));
      expect(await qa.moderate('r', hidden, 'hide', T)).toBe('hidden');
      const revBefore = (await qa.board('r', 5)).rev;
      expect(
        await qa.upvote(
          'r',
          [
            { id: mine, voter: 'me' },
            { id: 'q99999999', voter: 'x' },
            { id: hidden, voter: 'x' },
            { id: held, voter: 'x' },
          ],
          T + 1,
        ),
      ).toEqual(['own', 'missing', 'hidden', 'hidden']);
      // Nothing counted, nothing changed: the rev stays.
      expect((await qa.board('r', 5)).rev).toBe(revBefore);
      await qa.setOpen('r', false, T + 2);
      expect(await qa.upvote('r', [{ id: mine, voter: 'x' }], T + 3)).toEqual(['closed']);
    });

    it('lets an author ask again only after the interval, whichever writer asks', async () => {
      const qa = store();
      await qa.setOpen('i', true, T);
      await askOk(qa, 'i', question('a', 'first', T));
      expect(await qa.ask('i', question('a', 'again', T + 20_000), 60_000)).toEqual({
        ok: false,
        reason: 'rate_limited',
        retryAfterMs: 40_000,
      });
      expect((await qa.ask('i', question('b', 'other', T + 20_000), 60_000)).ok).toBe(true);
      expect((await qa.ask('i', question('a', 'later', T + 60_000), 60_000)).ok).toBe(true);
      expect((await qa.board('i', 5)).top.map((q) => q.text)).toEqual(['later', 'other', 'first']);
    });

    it('hides, shows, answers and picks, with the picked question on every board', async () => {
      const qa = store();
      await qa.setOpen('m', true, T);
      const a = await askOk(qa, 'm', question('a', 'A'));
      const b = await askOk(qa, 'm', question('b', 'B'));
      const held = await askOk(qa, 'm', question('c', 'C', T, true));
      await qa.upvote(
        'm',
        [
          { id: a, voter: 'x' },
          { id: a, voter: 'y' },
        ],
        T,
      );
      expect((await qa.board('m', 5)).top.map((q) => q.id)).toEqual([a, b]);

      expect(await qa.moderate('m', a, 'pick', T + 1)).toBe('visible');
      let board = await qa.board('m', 5);
      expect(board.picked).toMatchObject({ id: a, upvotes: 2, text: 'A' });
      expect(board.ts).toBe(T + 1);

      expect(await qa.moderate('m', a, 'hide', T + 2)).toBe('hidden');
      board = await qa.board('m', 5);
      expect(board.top.map((q) => q.id)).toEqual([b]);
      expect(board.picked).toBeNull();

      expect(await qa.moderate('m', a, 'show', T + 3)).toBe('visible');
      expect((await qa.board('m', 5)).top.map((q) => [q.id, q.upvotes])).toEqual([
        [a, 2],
        [b, 0],
      ]);

      expect(await qa.moderate('m', held, 'pick', T + 4)).toBe('held');
      expect(await qa.moderate('m', held, 'show', T + 4)).toBe('visible');
      expect(await qa.moderate('m', b, 'pick', T + 5)).toBe('visible');
      expect(await qa.moderate('m', b, 'answer', T + 6)).toBe('answered');
      board = await qa.board('m', 5);
      expect(board.top.map((q) => q.id)).toEqual([a, held]);
      expect(board.picked).toEqual({
        id: b,
        user: { id: 'b', name: 'name of b' },
        text: 'B',
        ts: T,
        upvotes: 0,
        answered: true,
      });
      const rev = board.rev;
      expect(await qa.unpick('m', T + 7)).toBeGreaterThan(rev);
      expect((await qa.board('m', 5)).picked).toBeNull();
      expect(await qa.moderate('m', 'q99999999', 'hide', T + 8)).toBeUndefined();
    });

    it('lists held and hidden questions for review, oldest first, as they move', async () => {
      const qa = store();
      await qa.setOpen('l', true, T);
      const held1 = await askOk(qa, 'l', question('a', 'held one', T, true));
      const shown = await askOk(qa, 'l', question('b', 'shown'));
      const held2 = await askOk(qa, 'l', question('c', 'held two', T, true));
      expect((await qa.list('l', 'held', 10)).map((q) => [q.id, q.text])).toEqual([
        [held1, 'held one'],
        [held2, 'held two'],
      ]);
      expect(await qa.list('l', 'held', 1)).toHaveLength(1);
      expect(await qa.list('l', 'hidden', 10)).toEqual([]);
      await qa.moderate('l', held1, 'show', T);
      await qa.moderate('l', held2, 'hide', T);
      await qa.moderate('l', shown, 'hide', T);
      expect(await qa.list('l', 'held', 10)).toEqual([]);
      expect((await qa.list('l', 'hidden', 10)).map((q) => q.id)).toEqual([shown, held2]);
      await qa.moderate('l', shown, 'show', T);
      expect((await qa.list('l', 'hidden', 10)).map((q) => q.id)).toEqual([held2]);
      expect(await qa.list('none', 'held', 10)).toEqual([]);
    });

    it('gives an author their own questions, newest first, held and hidden ones too', async () => {
      const qa = store();
      await qa.setOpen('y', true, T);
      const first = await askOk(qa, 'y', question('me', 'first'));
      await askOk(qa, 'y', question('other', 'not mine'));
      const held = await askOk(qa, 'y', question('me', 'held', T + 60_000, true));
      await qa.upvote('y', [{ id: first, voter: 'v' }], T + 60_001);
      await qa.moderate('y', first, 'hide', T + 60_002);
      expect((await qa.mine('y', 'me')).map((q) => [q.id, q.text, q.upvotes])).toEqual([
        [held, 'held', 0],
        [first, 'first', 1],
      ]);
      expect(await qa.mine('y', 'nobody')).toEqual([]);
      expect(await qa.mine('none', 'me')).toEqual([]);
      await qa.setOpen('z', true, T);
      for (let i = 0; i < MINE_KEPT + 2; i++)
        await askOk(qa, 'z', question('busy', `q${i}`, T + i * 60_000));
      const kept = await qa.mine('z', 'busy');
      expect(kept).toHaveLength(MINE_KEPT);
      expect(kept[0]?.text).toBe(`q${MINE_KEPT + 1}`);
    });
  });
}
