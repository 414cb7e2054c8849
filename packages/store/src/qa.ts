import type { QaQuestion, UserRef } from '@roar/protocol';

/** Where a question stands: on the board, hidden by a moderator, held for one, or answered. */
export type QuestionState = 'visible' | 'hidden' | 'held' | 'answered';

/** A question to store. `author` is the asker's identity key (what upvotes are refused against). */
export interface NewQuestion {
  author: string;
  user: UserRef;
  text: string;
  ts: number;
  /** Held for a moderator (automod): stored, not on the board until shown. */
  held: boolean;
}

/** What `ask` did: stored (with the new id), or refused (closed, or too soon after the last one). */
export type AskOutcome =
  | { ok: true; id: string; rev: number }
  | { ok: false; reason: 'closed' }
  | { ok: false; reason: 'rate_limited'; retryAfterMs: number };

/** One upvote of a batch: `voter` is the identity key of who upvoted. */
export interface Upvote {
  id: string;
  voter: string;
}

/**
 * Each upvote's outcome, in the batch's order: `counted` (the first from this voter), `duplicate`
 * (counted before: nothing changes), `missing` (no such question), `hidden` (hidden or held),
 * `own` (the voter asked it), `closed` (the Q&A is closed).
 */
export type UpvoteOutcome = 'counted' | 'duplicate' | 'missing' | 'hidden' | 'own' | 'closed';

/** The questions a moderator reviews: held for one (automod), or hidden by one. */
export type ReviewState = 'held' | 'hidden';

/** What a moderator does to one question. */
export type QuestionAction = 'hide' | 'show' | 'answer' | 'pick';

/** A stream's board as stored; `rev` 0 means the stream never had a Q&A. */
export interface QaBoard {
  rev: number;
  /** Server time of the last change (ms since the epoch, the writer's clock). */
  ts: number;
  open: boolean;
  top: QaQuestion[];
  picked: QaQuestion | null;
}

/**
 * A stream's Q&A, shared by every gateway. The board's order is exact: visible, unanswered
 * questions by upvotes, most first, ties newest first; `top(n)` returns the first n. Every change
 * of what a board shows (a visible question asked, an upvote counted, a moderator's action, open
 * or close) raises `rev` by at least one, atomically with the change.
 *
 * One upvote per voter per question, exactly: the store dedupes, however many gateways send the
 * same pair. `upvote` takes a whole batch (a gateway's upvotes of one stream over one tick) in
 * one call: on Redis one script, so a burst costs one command per batch, not per upvote.
 */
export interface QaStore {
  /** Opens or closes the stream's Q&A (a closed board stays readable). Resolves with the new rev. */
  setOpen(stream: string, open: boolean, now: number): Promise<number>;
  /**
   * Stores a question when the Q&A is open and `author`'s last question is at least
   * `minIntervalMs` old (by `question.ts`), atomically, so two gateways cannot both let one in.
   */
  ask(stream: string, question: NewQuestion, minIntervalMs: number): Promise<AskOutcome>;
  /** Applies a batch of upvotes; resolves with one outcome per upvote, in order. */
  upvote(stream: string, votes: readonly Upvote[], now: number): Promise<UpvoteOutcome[]>;
  /**
   * A moderator's action on question `id`: `hide` (off the board; unpicked if picked), `show`
   * (back on it, also for a held one), `answer` (off the board, marked answered), `pick` (the
   * highlighted one; a hidden or held one is refused). Resolves with the question's state
   * afterwards, `undefined` when there is no such question, or `'hidden'` unchanged for a
   * refused pick.
   */
  moderate(
    stream: string,
    id: string,
    action: QuestionAction,
    now: number,
  ): Promise<QuestionState | undefined>;
  /** Questions in `state`, oldest first, at most `limit`: what moderators review and show. */
  list(stream: string, state: ReviewState, limit: number): Promise<QaQuestion[]>;
  /**
   * `author`'s own questions, newest first, at most the last `MINE_KEPT` they asked (hidden or
   * held ones too, as they wrote them: an author is not told a moderator hid theirs).
   */
  mine(stream: string, author: string): Promise<QaQuestion[]>;
  /** Clears the picked question. Resolves with the new rev. */
  unpick(stream: string, now: number): Promise<number>;
  /** The board with its top `n` questions. */
  board(stream: string, n: number): Promise<QaBoard>;
}

/** How many of an author's questions `mine` keeps, per stream. */
export const MINE_KEPT = 20;

/** Fixed-width, so the store's id order (Redis: lexicographic on ties) is the asking order. */
export function questionId(seq: number): string {
  return `q${seq.toString(36).padStart(8, '0')}`;
}
