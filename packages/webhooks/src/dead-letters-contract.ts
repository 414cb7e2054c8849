import { describe, expect, it } from 'vitest';
import { DeadLetters, type DeadLetter, type DeadLetterJournal } from './dead-letters.js';

/** A fresh journal per test (own prefix), and another over the same storage: the next process. */
export interface JournalFixture {
  journal: DeadLetterJournal;
  reopen(): Promise<DeadLetterJournal>;
  dispose(): Promise<void>;
}

/** A dead letter of `endpoint` with the events `first`..`last` (by `seq`): `<endpoint>-<first>-<last>`. */
export const letter = (endpoint: string, first: number, last = first, text = 't'): DeadLetter => ({
  id: `${endpoint}-${first}-${last}`,
  endpoint,
  events: Array.from({ length: last - first + 1 }, (_, i) => ({
    v: 1 as const,
    seq: first + i,
    type: 'chat.published' as const,
    id: `m${first + i}`,
    stream: 's',
    ts: 1_700_000_000_000 + first + i,
    data: { id: `m${first + i}`, user: { id: 'u', name: 'U' }, text: `${text}${first + i}` },
  })),
  attempts: 3,
  lastError: 'HTTP 500',
  failedAt: 1_700_000_000_000,
});

/**
 * What every `DeadLetterJournal` promises, seen through `DeadLetters` as the dispatchers use it:
 * what one process stored, redelivered and dropped is what the next one finds.
 */
export function describeDeadLetterContract(
  name: string,
  factory: () => Promise<JournalFixture>,
): void {
  describe(`DeadLetterJournal contract: ${name}`, () => {
    it('keeps letters, oldest first, across a reopen', async () => {
      const fx = await factory();
      try {
        const first = await DeadLetters.open(10, fx.journal);
        await first.add(letter('a', 1, 5));
        await first.add(letter('b', 6));
        await first.add(letter('a', 7, 9));
        const next = await DeadLetters.open(10, await fx.reopen());
        expect(next.list().map((l) => l.id)).toEqual(['a-1-5', 'b-6-6', 'a-7-9']);
        expect(next.count('a')).toBe(2);
        expect(next.get('a-1-5')).toEqual(letter('a', 1, 5));
      } finally {
        await fx.dispose();
      }
    });

    it('forgets a redelivered letter and remembers another failed attempt', async () => {
      const fx = await factory();
      try {
        const first = await DeadLetters.open(10, fx.journal);
        await first.add(letter('a', 1));
        await first.add(letter('a', 2));
        expect(await first.remove('a-1-1')).toBe(true);
        expect(await first.remove('a-1-1')).toBe(false);
        await first.failedAgain('a-2-2', 'timeout');
        const next = await DeadLetters.open(10, await fx.reopen());
        expect(next.list().map((l) => [l.id, l.attempts, l.lastError])).toEqual([
          ['a-2-2', 4, 'timeout'],
        ]);
      } finally {
        await fx.dispose();
      }
    });

    it('keeps a letter larger than one broker message (a full batch of long messages)', async () => {
      const fx = await factory();
      try {
        // 3,000 events of ~500 bytes: about 1.5 MB, past NATS's default max_payload of 1 MB.
        const big = letter('a', 1, 3000, 'x'.repeat(450));
        const first = await DeadLetters.open(10, fx.journal);
        await first.add(big);
        await first.failedAgain(big.id, 'timeout');
        const next = await DeadLetters.open(10, await fx.reopen());
        expect(next.get(big.id)).toEqual({ ...big, attempts: 4, lastError: 'timeout' });
        expect(await next.remove(big.id)).toBe(true);
        expect((await DeadLetters.open(10, await fx.reopen())).list()).toEqual([]);
      } finally {
        await fx.dispose();
      }
    });

    it('keeps at most its bound, dropping the oldest, in the journal too', async () => {
      const fx = await factory();
      try {
        const first = await DeadLetters.open(3, fx.journal);
        for (let i = 1; i <= 5; i++) await first.add(letter('a', i));
        expect(first.dropped).toBe(2);
        expect(first.list().map((l) => l.id)).toEqual(['a-3-3', 'a-4-4', 'a-5-5']);
        const next = await DeadLetters.open(3, await fx.reopen());
        expect(next.list().map((l) => l.id)).toEqual(['a-3-3', 'a-4-4', 'a-5-5']);
        // A lower bound at the next start drops the oldest from the journal too.
        const lower = await DeadLetters.open(2, await fx.reopen());
        expect(lower.dropped).toBe(1);
        const again = await DeadLetters.open(3, await fx.reopen());
        expect(again.list().map((l) => l.id)).toEqual(['a-4-4', 'a-5-5']);
      } finally {
        await fx.dispose();
      }
    });
  });
}
