/** A time the event loop did not run: from the last beat before it to when work resumed. */
export interface Stall {
  from: number;
  to: number;
}

export interface StallWatchOptions {
  /** A beat this much later than due is a stall. */
  thresholdMs: number;
  /** How long after a stall its backlog is still being handled (and forgiven). */
  graceMs: number;
}

/**
 * Notices event-loop stalls: a GC pause, a VM or container freeze, SIGSTOP. `beat` runs on a
 * short timer; a beat that comes `thresholdMs` late closes a stall. Work that runs right after a
 * stall can ask `current` before the late beat has run (I/O callbacks run before timers in a
 * loop turn), so the first messages read after the stall already see it.
 *
 * What it is for: a stalled gateway's clients kept sending, and their messages arrive in one
 * burst when it resumes; the chat rate limit forgives that burst (see `RateLimiter.take`).
 */
export class StallWatch {
  readonly #o: StallWatchOptions;
  #lastBeat: number;
  #last: Stall | undefined;
  #count = 0;

  constructor(options: StallWatchOptions, now: number) {
    this.#o = options;
    this.#lastBeat = now;
  }

  /** Stalls seen so far. */
  get count(): number {
    return this.#count;
  }

  /** Called on a timer; returns the stall that just ended, if the loop was stalled. */
  beat(now: number): Stall | undefined {
    let ended: Stall | undefined;
    if (now - this.#lastBeat > this.#o.thresholdMs) {
      ended = this.#last?.from === this.#lastBeat ? this.#last : { from: this.#lastBeat, to: now };
      ended.to = now;
      this.#last = ended;
      this.#count++;
    }
    this.#lastBeat = now;
    return ended;
  }

  /** The stall whose backlog is being handled at `now`: in progress, or ended within the grace. */
  current(now: number): Stall | undefined {
    if (now - this.#lastBeat > this.#o.thresholdMs) {
      // The late beat has not run yet: this stall is still being caught up on.
      const open = this.#last?.from === this.#lastBeat ? this.#last : undefined;
      if (open) {
        open.to = now;
        return open;
      }
      return (this.#last = { from: this.#lastBeat, to: now });
    }
    const last = this.#last;
    return last !== undefined && now - last.to <= this.#o.graceMs ? last : undefined;
  }
}
