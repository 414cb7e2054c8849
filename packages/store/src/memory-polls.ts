import {
  BallotOutcome,
  pollEnd,
  pollIsOpen,
  type Ballot,
  type CastResult,
  type NewPoll,
  type PollStore,
  type StoredPoll,
} from './polls.js';

interface Kept {
  poll: StoredPoll;
  /** voter → option */
  ballots: Map<string, number>;
}

const copy = (p: StoredPoll): StoredPoll => ({
  ...p,
  options: [...p.options],
  votes: [...p.votes],
});

/** Polls in process memory, with exactly the rules of the Redis store (see `PollStore`). */
export class MemoryPolls implements PollStore {
  readonly #polls = new Map<string, Kept>();
  readonly #current = new Map<string, string>();

  #key(stream: string, id: string): string {
    return `${stream}\0${id}`;
  }

  async open(stream: string, poll: NewPoll, now: number): Promise<StoredPoll | undefined> {
    const current = this.#current.get(stream);
    const open = current && this.#polls.get(this.#key(stream, current));
    if (open && pollIsOpen(open.poll, now)) return undefined;
    const stored: StoredPoll = {
      ...poll,
      options: [...poll.options],
      closedAt: null,
      final: false,
      votes: poll.options.map(() => 0),
      voters: 0,
      rev: 0,
    };
    this.#polls.set(this.#key(stream, poll.id), { poll: stored, ballots: new Map() });
    this.#current.set(stream, poll.id);
    return copy(stored);
  }

  async current(stream: string): Promise<StoredPoll | undefined> {
    const id = this.#current.get(stream);
    return id === undefined ? undefined : this.get(stream, id);
  }

  async get(stream: string, id: string): Promise<StoredPoll | undefined> {
    const kept = this.#polls.get(this.#key(stream, id));
    return kept && copy(kept.poll);
  }

  async cast(
    stream: string,
    id: string,
    ballots: readonly Ballot[],
    now: number,
    graceMs: number,
  ): Promise<CastResult> {
    const kept = this.#polls.get(this.#key(stream, id));
    if (!kept) return { status: 'missing' };
    const { poll } = kept;
    const end = pollEnd(poll);
    if (poll.final || (end !== null && now > end + graceMs)) return { status: 'closed' };
    let changed = false;
    const outcomes = ballots.map(({ voter, option }): BallotOutcome => {
      if (!(option >= 0 && option < poll.options.length)) return BallotOutcome.BadOption;
      const before = kept.ballots.get(voter);
      if (before === undefined) {
        kept.ballots.set(voter, option);
        poll.votes[option] = (poll.votes[option] as number) + 1;
        poll.voters++;
        changed = true;
        return BallotOutcome.Counted;
      }
      if (before === option) return BallotOutcome.Same;
      if (!poll.allowChange) return BallotOutcome.AlreadyVoted;
      kept.ballots.set(voter, option);
      poll.votes[before] = (poll.votes[before] as number) - 1;
      poll.votes[option] = (poll.votes[option] as number) + 1;
      changed = true;
      return BallotOutcome.Changed;
    });
    if (changed) poll.rev++;
    return { status: 'ok', outcomes, votes: [...poll.votes], voters: poll.voters, rev: poll.rev };
  }

  async close(stream: string, id: string, now: number): Promise<StoredPoll | undefined> {
    const kept = this.#polls.get(this.#key(stream, id));
    if (!kept) return undefined;
    const { poll } = kept;
    if (poll.closedAt === null)
      poll.closedAt = poll.endsAt !== null && poll.endsAt < now ? poll.endsAt : now;
    return copy(poll);
  }

  async finalize(stream: string, id: string, now: number): Promise<StoredPoll | undefined> {
    const kept = this.#polls.get(this.#key(stream, id));
    if (!kept) return undefined;
    if (!pollIsOpen(kept.poll, now)) kept.poll.final = true;
    return copy(kept.poll);
  }
}
