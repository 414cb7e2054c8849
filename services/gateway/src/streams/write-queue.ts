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
  readonly #idle = new IdleClock();

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  push(state: StreamState, run: () => number): void {
    if (this.#next === this.#queue.length) this.#idle.busy();
    state.delivery.queued++;
    this.#queue.push({ state, run });
  }

  /** Starts writing, unless a turn is already scheduled. */
  start(): void {
    if (!this.#scheduled) this.#drain();
  }

  /** How long nothing was queued since the last call, and the CPU this process used meanwhile. */
  takeIdle(): { ms: number; cpuUs: number } {
    return this.#idle.take();
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
      this.#idle.idle();
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

/**
 * The time nothing was queued, and the CPU the process used meanwhile: what the gateway's other
 * work costs. (uWS writes a publish's frames after the call, on the loop's next turn, so fanout's
 * own CPU cannot be timed around its calls; a backlog's writes take whatever is free anyway.)
 */
class IdleClock {
  #since: number | undefined = performance.now();
  #cpu = process.cpuUsage();
  #ms = 0;
  #cpuUs = 0;

  busy(): void {
    if (this.#since === undefined) return;
    const used = process.cpuUsage(this.#cpu);
    this.#cpuUs += used.user + used.system;
    this.#ms += performance.now() - this.#since;
    this.#since = undefined;
  }

  idle(): void {
    if (this.#since !== undefined) return;
    this.#since = performance.now();
    this.#cpu = process.cpuUsage();
  }

  take(): { ms: number; cpuUs: number } {
    const idle = this.#since !== undefined;
    if (idle) this.busy();
    const out = { ms: this.#ms, cpuUs: this.#cpuUs };
    this.#ms = this.#cpuUs = 0;
    if (idle) this.idle();
    return out;
  }
}
