import { EncodedEvent, type PollEvent } from '@roar/protocol';
import { pollEnd, type Ballot, type StoredPoll } from '@roar/store';
import { pollEvent } from './poll-view.js';

/**
 * One stream's current poll on this gateway: what viewers were last shown, the votes taken here
 * and not yet counted, and who voted here (so a repeat is answered without the store). Written
 * only by the polls feature.
 */
export class BallotBox {
  poll: StoredPoll;
  /** Identity → option, for votes taken on this gateway (the store's dedupe is the exact one). */
  readonly voted = new Map<string, number>();
  /** Votes taken, waiting for the next batch. */
  pending: Ballot[] = [];
  /** A batch, read or finalize is in flight: one at a time per stream. */
  busy = false;
  /** When the counts were last had from the store (a batch's reply or a read). */
  freshAt: number;
  /** The stage viewers were last shown and its counts' rev. */
  stage: PollEvent['state'];
  sentRev = -1;
  /** When the results were last checked for a change (once per results window). */
  checkedAt: number;
  /** Finalizes on time when the grace ends between two flushes. */
  finalTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last event shown, encoded once, for joiners' snapshots. */
  last: EncodedEvent<PollEvent>;

  constructor(poll: StoredPoll, now: number) {
    this.poll = poll;
    this.freshAt = now;
    this.checkedAt = now;
    this.stage = poll.final ? 'closed' : pollIsOver(poll, now) ? 'counting' : 'open';
    this.last = this.show(now);
  }

  /** The poll stopped taking votes at `now`. */
  ended(now: number): boolean {
    return pollIsOver(this.poll, now);
  }

  /** Newer counts from the store (a lower rev is an older reply and is ignored). */
  update(votes: number[], voters: number, rev: number, now: number): void {
    this.freshAt = now;
    if (rev < this.poll.rev) return;
    this.poll = { ...this.poll, votes, voters, rev };
  }

  /** The event for the current stage and counts, remembered as the snapshot for joiners. */
  show(now: number): EncodedEvent<PollEvent> {
    const end = pollEnd(this.poll);
    // When the counts were true: the opening, the batch or read that brought them, or the end.
    const counted = this.poll.rev === 0 ? this.poll.openedAt : Math.min(this.freshAt, now);
    const ts = this.stage === 'open' ? counted : (end ?? now);
    this.last = EncodedEvent.of(pollEvent(this.poll, this.stage, ts));
    this.sentRev = this.poll.rev;
    return this.last;
  }
}

function pollIsOver(poll: StoredPoll, now: number): boolean {
  const end = pollEnd(poll);
  return end !== null && now >= end;
}
