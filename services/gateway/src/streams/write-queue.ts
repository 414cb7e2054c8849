import type { StreamState } from './stream-state.js';

/** A queued write: runs once, returns how many sockets it wrote to. */
interface Job {
  state: StreamState;
  run: () => number;
}

/**
 * Fanout's writes, in order, at most `perTurn` sockets' worth per event-loop turn: a big stream's
 * frame goes out over several turns, with new connections, acks and pings served in between.
 * Each stream counts its writes still queued (`Delivery.queued`), so a joiner can wait for them
 * and fanout queues no second batch of a stream behind the first (it merges the news instead).
 */
export class WriteQueue {
  readonly #queue: Job[] = [];
  readonly #perTurn: number;
  #next = 0;
  #scheduled = false;

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  push(state: StreamState, run: () => number): void {
    state.delivery.queued++;
    this.#queue.push({ state, run });
  }

  /** Starts writing, unless a turn is already scheduled. */
  start(): void {
    if (!this.#scheduled) this.#drain();
  }

  /** Writes everything queued now (shutdown). */
  drainAll(): void {
    while (this.#next < this.#queue.length) this.#runNext();
  }

  #runNext(): number {
    const job = this.#queue[this.#next++] as Job;
    if (this.#next === this.#queue.length) {
      this.#queue.length = 0;
      this.#next = 0;
    }
    job.state.delivery.queued--;
    return job.run();
  }

  /** Runs queued writes until a slice's worth of sockets is written, then yields to the loop. */
  readonly #drain = (): void => {
    this.#scheduled = false;
    let written = 0;
    while (this.#next < this.#queue.length && written < this.#perTurn) written += this.#runNext();
    if (this.#next < this.#queue.length) {
      this.#scheduled = true;
      setImmediate(this.#drain);
    }
  };
}
