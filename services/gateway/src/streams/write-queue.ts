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
  /** CPU the writes took (this process, user + system, µs) since the last `takeCpuUs`. */
  #cpuUs = 0;

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

  /** CPU µs the writes took since the last call (load control's share of it for fanout). */
  takeCpuUs(): number {
    const us = this.#cpuUs;
    this.#cpuUs = 0;
    return us;
  }

  /**
   * When the oldest batch still being written was taken (its stream's `lastFlushAt`: the queue
   * is in order, so the first job is of the oldest); undefined when nothing is queued.
   */
  get oldestAt(): number | undefined {
    return this.#queue[this.#next]?.state.delivery.lastFlushAt;
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
    const cpu = process.cpuUsage();
    let written = 0;
    while (this.#next < this.#queue.length && written < this.#perTurn) written += this.#runNext();
    const used = process.cpuUsage(cpu);
    this.#cpuUs += used.user + used.system;
    if (this.#next < this.#queue.length) {
      this.#scheduled = true;
      setImmediate(this.#drain);
    }
  };
}
