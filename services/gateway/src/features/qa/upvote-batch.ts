import { ErrorCode, RoarError } from '@roar/protocol';
import type { QaStore, Upvote, UpvoteOutcome } from '@roar/store';

const REFUSED: Record<Exclude<UpvoteOutcome, 'counted'>, [ErrorCode, string]> = {
  duplicate: [ErrorCode.AlreadyUpvoted, 'you upvoted this question already'],
  missing: [ErrorCode.NotFound, 'no such question'],
  hidden: [ErrorCode.QuestionHidden, 'this question is hidden'],
  own: [ErrorCode.OwnQuestion, 'you cannot upvote your own question'],
  closed: [ErrorCode.QaClosed, 'the Q&A is closed'],
};

/** The typed error an upvote that did not count is answered with. */
export function refusal(outcome: Exclude<UpvoteOutcome, 'counted'>): RoarError {
  const [code, message] = REFUSED[outcome];
  return new RoarError(code, message);
}

interface Waiting extends Upvote {
  resolve(outcome: UpvoteOutcome): void;
  reject(error: unknown): void;
}

/** Most voter–question pairs remembered per gateway (about 30 MB) before the memory starts over. */
const SENT_CAP = 200_000;

/**
 * A gateway's upvotes, fanned in like reactions: collected per stream and sent to the store as one
 * batch per stream per `flush` (every `qaUpvoteFlushMs`), one store call each, never one per
 * upvote. Each upvote's promise settles with its own outcome when its batch returns, or rejects
 * with the store's error.
 *
 * A pair already sent from this gateway is answered `duplicate` at once, without the store: a
 * flood of one upvote costs a set lookup. The store dedupes exactly across gateways; this memory
 * only saves it work (a pair whose batch failed is forgotten, so it can be sent again).
 */
export class UpvoteBatch {
  readonly #store: QaStore;
  readonly #waiting = new Map<string, Waiting[]>();
  readonly #sent = new Set<string>();

  constructor(store: QaStore) {
    this.#store = store;
  }

  /** Upvotes waiting for the next flush. */
  get pending(): number {
    let n = 0;
    for (const list of this.#waiting.values()) n += list.length;
    return n;
  }

  /** Queues one upvote; settles with its outcome after the next flush. */
  add(stream: string, id: string, voter: string): Promise<UpvoteOutcome> {
    const key = `${stream}\n${id}\n${voter}`;
    if (this.#sent.has(key)) return Promise.resolve('duplicate');
    if (this.#sent.size >= SENT_CAP) this.#sent.clear();
    this.#sent.add(key);
    return new Promise((resolve, reject) => {
      let list = this.#waiting.get(stream);
      if (!list) this.#waiting.set(stream, (list = []));
      list.push({ id, voter, resolve, reject });
    });
  }

  /** Sends every stream's waiting upvotes, one store call per stream; resolves when all settled. */
  async flush(now: number): Promise<void> {
    if (this.#waiting.size === 0) return;
    const batches = [...this.#waiting];
    this.#waiting.clear();
    await Promise.all(batches.map(([stream, list]) => this.#send(stream, list, now)));
  }

  /** Forgets the pairs of `stream` (the gateway stopped holding it); waiting upvotes still go. */
  forget(stream: string): void {
    const prefix = `${stream}\n`;
    for (const key of this.#sent) if (key.startsWith(prefix)) this.#sent.delete(key);
  }

  async #send(stream: string, list: Waiting[], now: number): Promise<void> {
    try {
      const outcomes = await this.#store.upvote(stream, list, now);
      list.forEach((w, i) => {
        const outcome = outcomes[i] ?? 'missing';
        // Refusals that a moderator or the session can lift are asked of the store again.
        if (outcome === 'missing' || outcome === 'hidden' || outcome === 'closed')
          this.#sent.delete(`${stream}\n${w.id}\n${w.voter}`);
        w.resolve(outcome);
      });
    } catch (error) {
      for (const w of list) {
        this.#sent.delete(`${stream}\n${w.id}\n${w.voter}`);
        w.reject(error);
      }
    }
  }
}
