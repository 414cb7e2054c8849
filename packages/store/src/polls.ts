/**
 * Polls (issue 14) as the store keeps them: one current poll per stream (the newest opened), each
 * poll's answers, its exact counts and who voted what. Votes arrive in batches (one call per
 * gateway per poll per flush), so a burst of votes costs one store command per batch, never one
 * per vote; the batch dedupes voters and counts atomically.
 */
export interface StoredPoll {
  id: string;
  question: string;
  options: string[];
  /** When it opened and, if it closes by itself, when (ms since the epoch). */
  openedAt: number;
  endsAt: number | null;
  /** When a close was asked for (never later than `endsAt`); null while open. */
  closedAt: number | null;
  /** A quiz's right answer, or null. */
  correct: number | null;
  allowChange: boolean;
  anonymous: boolean;
  /** Who opened it: a user id, or `key:<name>` for an API key. */
  by: string;
  /** Votes per option and voters in all: exact. */
  votes: number[];
  voters: number;
  /** The counts are frozen (see `PollStore.finalize`): no batch counts any more. */
  final: boolean;
  /** Raised by every batch that changed the counts, so readers keep the newest figures. */
  rev: number;
}

/** A poll to store: everything but its counts and close. */
export type NewPoll = Omit<StoredPoll, 'closedAt' | 'votes' | 'voters' | 'rev' | 'final'>;

/** One vote of a batch: the voter's identity key and the option index. */
export interface Ballot {
  voter: string;
  option: number;
}

/** What happened to each ballot of a batch, in order. */
export const BallotOutcome = {
  /** A first vote, counted. */
  Counted: 1,
  /** A changed vote (the poll allows it): moved from the old option to this one. */
  Changed: 2,
  /** The same vote again: nothing changed. */
  Same: 3,
  /** No such option. */
  BadOption: 4,
  /** The voter had voted for another option and the poll does not allow changes: the first stands. */
  AlreadyVoted: 5,
} as const;
export type BallotOutcome = (typeof BallotOutcome)[keyof typeof BallotOutcome];

export type CastResult =
  | { status: 'missing' }
  /** Past the poll's end plus the grace, or final: nothing in the batch was counted. */
  | { status: 'closed' }
  | { status: 'ok'; outcomes: BallotOutcome[]; votes: number[]; voters: number; rev: number };

/** When a poll stopped (or stops) taking votes: the earlier of its close and its deadline. */
export function pollEnd(poll: Pick<StoredPoll, 'endsAt' | 'closedAt'>): number | null {
  const { endsAt, closedAt } = poll;
  if (closedAt === null) return endsAt;
  return endsAt === null ? closedAt : Math.min(endsAt, closedAt);
}

/** True while `poll` takes votes at `now`. */
export function pollIsOpen(poll: Pick<StoredPoll, 'endsAt' | 'closedAt'>, now: number): boolean {
  const end = pollEnd(poll);
  return end === null || now < end;
}

export interface PollStore {
  /**
   * Stores `poll` as the stream's current poll, unless the current one is still open at `now`
   * (resolves undefined then: close it first). Atomic: two opens at once cannot both succeed.
   */
  open(stream: string, poll: NewPoll, now: number): Promise<StoredPoll | undefined>;
  /** The stream's newest poll, open or closed; undefined when it has none (or it expired). */
  current(stream: string): Promise<StoredPoll | undefined>;
  /** One poll by id, open or closed, while it is kept. */
  get(stream: string, id: string): Promise<StoredPoll | undefined>;
  /**
   * Counts a batch of ballots atomically: each voter's first vote counts, a repeat of the same
   * vote changes nothing, another option moves the vote when the poll allows changes and is
   * refused (`AlreadyVoted`) when not. A batch arriving at `now` later than the poll's end plus
   * `graceMs` counts nothing (`closed`): the grace lets votes taken before the end, still on
   * their way from a gateway, count. A batch reaching a finalized poll counts nothing either,
   * whatever its `now`. Resolves with each
   * ballot's outcome and the counts after the batch.
   */
  cast(
    stream: string,
    id: string,
    ballots: readonly Ballot[],
    now: number,
    graceMs: number,
  ): Promise<CastResult>;
  /**
   * Closes the poll at `now` (at its deadline when that passed first); closing a closed poll
   * changes nothing. Resolves with the poll afterwards, or undefined when there is none.
   */
  close(stream: string, id: string, now: number): Promise<StoredPoll | undefined>;
  /**
   * Freezes the counts of a poll that ended before `now` (closed, or past its deadline): from
   * then on every batch is refused, so whoever reads it reads the same final result. Before
   * its end it changes nothing. Every gateway calls it once the grace has passed; the first
   * freezes. Resolves with the poll afterwards, or undefined when there is none.
   */
  finalize(stream: string, id: string, now: number): Promise<StoredPoll | undefined>;
}
