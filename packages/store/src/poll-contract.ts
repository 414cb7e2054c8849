import { beforeEach, describe, expect, it } from 'vitest';
import { BallotOutcome, type NewPoll } from './polls.js';
import type { Store } from './store.js';

const T0 = 1_700_000_000_000;

const poll = (id: string, over: Partial<NewPoll> = {}): NewPoll => ({
  id,
  question: 'Who wins?',
  options: ['India', 'Pakistan', 'Rain'],
  openedAt: T0,
  endsAt: null,
  correct: null,
  allowChange: false,
  anonymous: false,
  by: 'key:ops',
  ...over,
});

/** The behaviour every `PollStore` promises (see polls.ts); run inside the store contract. */
export function describePollContract(store: () => Store): void {
  describe('polls', () => {
    let polls: Store['polls'];
    beforeEach(() => {
      polls = store().polls;
    });

    it('opens one poll at a time and keeps closed ones readable', async () => {
      expect(await polls.current('s')).toBeUndefined();
      const opened = await polls.open('s', poll('p1', { correct: 2 }), T0);
      expect(opened).toEqual({
        ...poll('p1', { correct: 2 }),
        closedAt: null,
        final: false,
        votes: [0, 0, 0],
        voters: 0,
        rev: 0,
      });
      expect(await polls.current('s')).toEqual(opened);
      expect(await polls.open('s', poll('p2'), T0 + 1)).toBeUndefined();
      expect((await polls.current('s'))?.id).toBe('p1');
      expect((await polls.close('s', 'p1', T0 + 5))?.closedAt).toBe(T0 + 5);
      // Closing again changes nothing.
      expect((await polls.close('s', 'p1', T0 + 9))?.closedAt).toBe(T0 + 5);
      expect((await polls.open('s', poll('p2'), T0 + 6))?.id).toBe('p2');
      expect((await polls.current('s'))?.id).toBe('p2');
      expect((await polls.get('s', 'p1'))?.closedAt).toBe(T0 + 5);
      expect(await polls.get('s', 'nope')).toBeUndefined();
      expect(await polls.close('s', 'nope', T0)).toBeUndefined();
      // Another stream's polls are its own.
      expect((await polls.open('other', poll('p1'), T0))?.id).toBe('p1');
    });

    it('counts each voter once, exactly, across batches and within one', async () => {
      await polls.open('s', poll('p'), T0);
      const first = await polls.cast(
        's',
        'p',
        [
          { voter: 'u:a', option: 0 },
          { voter: 'u:b', option: 1 },
          { voter: 'u:a', option: 0 },
          { voter: 'u:c', option: 7 },
        ],
        T0 + 1,
        0,
      );
      expect(first).toEqual({
        status: 'ok',
        outcomes: [
          BallotOutcome.Counted,
          BallotOutcome.Counted,
          BallotOutcome.Same,
          BallotOutcome.BadOption,
        ],
        votes: [1, 1, 0],
        voters: 2,
        rev: 1,
      });
      // Another gateway's batch with the same voter for another option: the first vote stands.
      const second = await polls.cast('s', 'p', [{ voter: 'u:a', option: 2 }], T0 + 2, 0);
      expect(second).toEqual({
        status: 'ok',
        outcomes: [BallotOutcome.AlreadyVoted],
        votes: [1, 1, 0],
        voters: 2,
        rev: 1,
      });
      const many = Array.from({ length: 3000 }, (_, i) => ({
        voter: `u:${i % 1000}`,
        option: i % 3,
      }));
      const third = await polls.cast('s', 'p', many, T0 + 3, 0);
      expect(third.status === 'ok' && third.voters).toBe(1002);
      expect(third.status === 'ok' && third.votes).toEqual([335, 334, 333]);
      expect((await polls.get('s', 'p'))?.votes).toEqual([335, 334, 333]);
      expect(await polls.cast('s', 'missing', many, T0, 0)).toEqual({ status: 'missing' });
    });

    it('takes a batch larger than one script call can unpack at once', async () => {
      await polls.open('s', poll('big', { allowChange: true }), T0);
      // 10,000 ballots of 5,000 voters: each votes, then half of them change their answer.
      const ballots = Array.from({ length: 10_000 }, (_, i) => {
        const voter = i % 5000;
        return { voter: `u:${voter}`, option: i < 5000 || voter % 2 === 1 ? voter % 3 : 0 };
      });
      const truth = [0, 0, 0];
      for (let v = 0; v < 5000; v++) truth[v % 2 === 1 ? v % 3 : 0]! += 1;
      const result = await polls.cast('s', 'big', ballots, T0 + 1, 0);
      expect(result.status === 'ok' && [result.voters, result.votes]).toEqual([5000, truth]);
      expect((await polls.get('s', 'big'))?.votes).toEqual(truth);
    });

    it('moves a changed vote when the poll allows it', async () => {
      await polls.open('s', poll('p', { allowChange: true }), T0);
      await polls.cast('s', 'p', [{ voter: 'u:a', option: 0 }], T0 + 1, 0);
      const moved = await polls.cast('s', 'p', [{ voter: 'u:a', option: 2 }], T0 + 2, 0);
      expect(moved).toEqual({
        status: 'ok',
        outcomes: [BallotOutcome.Changed],
        votes: [0, 0, 1],
        voters: 1,
        rev: 2,
      });
    });

    it('takes votes until the end plus the grace, then nothing', async () => {
      await polls.open('s', poll('p', { endsAt: T0 + 10_000 }), T0);
      // Open at its deadline? No: a new poll may open once the old one's deadline passed.
      expect(await polls.open('s', poll('q'), T0 + 9_999)).toBeUndefined();
      const late = await polls.cast('s', 'p', [{ voter: 'u:a', option: 1 }], T0 + 10_500, 500);
      expect(late.status).toBe('ok');
      expect(await polls.cast('s', 'p', [{ voter: 'u:b', option: 1 }], T0 + 10_501, 500)).toEqual({
        status: 'closed',
      });
      // Closed after its deadline, it closed at the deadline.
      expect((await polls.close('s', 'p', T0 + 20_000))?.closedAt).toBe(T0 + 10_000);
      expect((await polls.get('s', 'p'))?.votes).toEqual([0, 1, 0]);
      expect((await polls.open('s', poll('q'), T0 + 10_000))?.id).toBe('q');

      // An early close ends voting too, with the same grace.
      await polls.close('s', 'q', T0 + 11_000);
      expect(
        (await polls.cast('s', 'q', [{ voter: 'u:a', option: 0 }], T0 + 11_200, 500)).status,
      ).toBe('ok');
      expect(
        (await polls.cast('s', 'q', [{ voter: 'u:b', option: 0 }], T0 + 11_501, 500)).status,
      ).toBe('closed');
    });

    it('freezes an ended poll at finalize: no batch counts after it, whatever its time', async () => {
      await polls.open('s', poll('p'), T0);
      expect((await polls.finalize('s', 'p', T0 + 1))?.final).toBe(false);
      await polls.cast('s', 'p', [{ voter: 'u:a', option: 0 }], T0 + 2, 1000);
      await polls.close('s', 'p', T0 + 3);
      const frozen = await polls.finalize('s', 'p', T0 + 1003);
      expect(frozen).toMatchObject({ final: true, votes: [1, 0, 0], voters: 1 });
      // A batch stamped within the grace but arriving after the freeze is refused.
      expect(await polls.cast('s', 'p', [{ voter: 'u:b', option: 1 }], T0 + 500, 1000)).toEqual({
        status: 'closed',
      });
      expect((await polls.finalize('s', 'p', T0 + 5000))?.votes).toEqual([1, 0, 0]);
      expect(await polls.finalize('s', 'nope', T0)).toBeUndefined();
    });
  });
}
