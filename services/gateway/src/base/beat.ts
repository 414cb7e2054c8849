import type { Logger } from '@roar/runtime';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** What a reader of the loop delay sees (a `RecordableHistogram` of nanoseconds). */
export type LoopDelay = Pick<
  RecordableHistogram,
  'count' | 'min' | 'max' | 'mean' | 'stddev' | 'percentile' | 'reset'
>;

interface Task {
  periodMs: number;
  nextAt: number;
  run: () => void;
}

/**
 * One timer for all of a gateway's periodic work. Every wake-up of an idle Node process costs
 * 50–85 µs here, whatever it does, so the work shares wake-ups instead of each piece keeping its
 * own interval: periods count from one origin, so work whose periods are multiples of each other
 * (the 50 ms tick, 100, 250, 500 ms, 1 s) comes due at the same moments and runs in one wake-up,
 * and the timer is set for the earliest due moment only.
 *
 * Work that only has something to do after news (the fanout tick) runs `whileNews`: `wake()`
 * arms it for its next due moment (within one period), and it stays armed for as long as it says
 * it has more to do. An idle gateway then does not wake for it at all.
 *
 * The event-loop delay is measured here too, without a timer of its own: each wake-up records
 * how late it came against the moment it was due (`delays()`; ns, at least 1). A periodic task
 * fails alone: its error is logged and the others run.
 */
export class Beat {
  readonly #log: Pick<Logger, 'error'>;
  readonly #clock: () => number;
  readonly #origin: number;
  readonly #tasks: Task[] = [];
  readonly #news: Task[] = [];
  readonly #readers: RecordableHistogram[] = [];
  #armed = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  /** `clock`: monotonic ms (default `performance.now`). */
  constructor(log: Pick<Logger, 'error'>, clock: () => number = () => performance.now()) {
    this.#log = log;
    this.#clock = clock;
    this.#origin = clock();
  }

  /** Runs `fn` every `periodMs`, on the moments `origin + k × periodMs`. */
  every(periodMs: number, fn: () => void): void {
    const task = { periodMs, nextAt: this.#after(this.#clock(), periodMs), run: fn };
    this.#tasks.push(task);
    this.#arm(task.nextAt);
  }

  /**
   * Runs `fn` every `periodMs` from the first `wake()` for as long as one of these returns true
   * (more to do); then not until the next `wake()`.
   */
  whileNews(periodMs: number, fn: () => boolean): void {
    this.#news.push({ periodMs, nextAt: Number.POSITIVE_INFINITY, run: fn });
  }

  /** There is news: the `whileNews` work runs at its next due moment, at most a period away. */
  readonly wake = (): void => {
    if (this.#armed || this.#stopped) return;
    this.#armed = true;
    const now = this.#clock();
    let first = Number.POSITIVE_INFINITY;
    for (const task of this.#news) {
      task.nextAt = this.#after(now, task.periodMs);
      first = Math.min(first, task.nextAt);
    }
    this.#arm(first);
  };

  /** True while the `whileNews` work is armed (news seen and not yet all done). */
  get armed(): boolean {
    return this.#armed;
  }

  /**
   * A histogram of how late each wake-up came (ns) from now on; each reader gets its own, to
   * read and reset on its own schedule.
   */
  delays(): LoopDelay {
    const h = createHistogram();
    this.#readers.push(h);
    return h;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The first moment after `now` on the grid of `periodMs` from the origin. */
  #after(now: number, periodMs: number): number {
    return this.#origin + (Math.floor((now - this.#origin) / periodMs) + 1) * periodMs;
  }

  #arm(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // Whole milliseconds (Node keeps a timer list per distinct delay), never early.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - this.#clock())));
  }

  readonly #fire = (): void => {
    const due = this.#timerAt;
    const now = this.#clock();
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const lateNs = Math.max(1, Math.round((now - due) * 1e6));
    for (const h of this.#readers) h.record(lateNs);
    // A timer may fire a fraction of a millisecond before `due` by this clock: what was due runs.
    const at = Math.max(now, due);
    let next = Number.POSITIVE_INFINITY;
    if (this.#armed) {
      let more = false;
      for (const task of this.#news) {
        if (task.nextAt <= at) {
          task.nextAt = this.#after(at, task.periodMs);
          if (this.#run(task.run) === true) more = true;
        } else more = true;
      }
      this.#armed = more;
      if (more) for (const task of this.#news) next = Math.min(next, task.nextAt);
    }
    for (const task of this.#tasks) {
      if (task.nextAt <= at) {
        task.nextAt = this.#after(at, task.periodMs);
        this.#run(task.run);
      }
      next = Math.min(next, task.nextAt);
    }
    this.#arm(next);
  };

  #run(fn: () => unknown): unknown {
    try {
      return fn();
    } catch (error) {
      this.#log.error('timer task failed', { error });
      // A failing `whileNews` task stays armed: what it did not finish is tried again.
      return true;
    }
  }
}
