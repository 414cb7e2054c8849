import type { Logger } from '@roar/runtime';
import { BallotOutcome, type Store } from '@roar/store';
import type { GatewayConfig } from '../../base/gateway-config.js';
import type { BallotBox } from './ballot-box.js';
import type { PollMetrics } from './poll-metrics.js';

export interface PollCounterOptions {
  config: Pick<GatewayConfig, 'pollGraceMs'>;
  store: Store;
  metrics: PollMetrics;
  log: Logger;
  now: () => number;
}

/** Votes waiting per stream while the store is down; past it the oldest are dropped and counted. */
const MAX_PENDING = 200_000;
const OUTCOME: Record<BallotOutcome, string> = {
  [BallotOutcome.Counted]: 'counted',
  [BallotOutcome.Changed]: 'changed',
  [BallotOutcome.Same]: 'same',
  [BallotOutcome.BadOption]: 'bad_option',
  [BallotOutcome.AlreadyVoted]: 'already_voted',
};

/**
 * The polls feature's store work for one stream's box, one call at a time (`busy`): a batch of
 * queued votes, a read of the counts, the final freeze. Failures are logged and counted; the
 * next flush tries again.
 */
export class PollCounter {
  readonly #o: PollCounterOptions;

  constructor(options: PollCounterOptions) {
    this.#o = options;
  }

  /** One batch of `box`'s queued votes to the store; on failure they wait for the next one. */
  async cast(stream: string, box: BallotBox): Promise<void> {
    const ballots = box.pending;
    box.pending = [];
    box.busy = true;
    const { store, config, now } = this.#o;
    try {
      const result = await store.polls.cast(
        stream,
        box.poll.id,
        ballots,
        now(),
        config.pollGraceMs,
      );
      this.#o.metrics.batches.inc({ result: result.status });
      if (result.status === 'ok') {
        box.update(result.votes, result.voters, result.rev, now());
        for (const outcome of result.outcomes)
          this.#o.metrics.votes.inc({ result: OUTCOME[outcome], reason: '' });
      } else {
        this.#o.metrics.votes.inc({ result: 'late', reason: result.status }, ballots.length);
      }
    } catch (error) {
      this.#o.metrics.batches.inc({ result: 'failed' });
      this.#o.log.warn('poll batch failed; retried with the next one', { stream, error });
      // A retry is exact: the store dedupes a voter whose earlier batch did land.
      const waiting = ballots.concat(box.pending);
      const dropped = waiting.length - MAX_PENDING;
      if (dropped > 0) this.#o.metrics.votes.inc({ result: 'dropped', reason: '' }, dropped);
      box.pending = dropped > 0 ? waiting.slice(dropped) : waiting;
    } finally {
      box.busy = false;
    }
  }

  async read(stream: string, box: BallotBox): Promise<void> {
    box.busy = true;
    try {
      const poll = await this.#o.store.polls.get(stream, box.poll.id);
      if (!poll) return;
      box.update(poll.votes, poll.voters, poll.rev, this.#o.now());
      // A close announced while this gateway was off the bus: learned here, within a window.
      if (poll.closedAt !== null && box.poll.closedAt === null)
        box.poll = { ...box.poll, closedAt: poll.closedAt };
    } catch (error) {
      this.#o.log.warn('poll results read failed', { stream, error });
    } finally {
      box.busy = false;
    }
  }

  /** Freezes the ended poll in the store and takes its final result; false when it failed. */
  async finalize(stream: string, box: BallotBox): Promise<boolean> {
    box.busy = true;
    try {
      const poll = await this.#o.store.polls.finalize(stream, box.poll.id, this.#o.now());
      if (poll) box.poll = poll;
      box.stage = 'closed';
      return true;
    } catch (error) {
      this.#o.log.warn('poll finalize failed; retried', { stream, error });
      return false;
    } finally {
      box.busy = false;
    }
  }
}
