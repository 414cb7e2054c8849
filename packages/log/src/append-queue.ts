import type { LogAppend } from './events.js';
import type { AppendQueueOptions, LogStats } from './log.js';

export interface QueuedEvent {
  stream: string;
  event: LogAppend;
  /** When it was appended (the queue's clock). */
  at: number;
}

/**
 * The bounded queue between `append` (the live path) and the log's store: appends cost a push,
 * the store takes batches per tick. Full, it refuses new events (`queue_full`); an event that
 * waited past `maxQueueAgeMs` (the store was down) is dropped (`unavailable`). Counts into the
 * `LogStats` it is given; only the queue writes `appended` and those drops.
 */
export class AppendQueue {
  readonly #options: AppendQueueOptions;
  readonly #stats: LogStats;
  readonly #now: () => number;
  #items: QueuedEvent[] = [];
  #head = 0;

  constructor(options: AppendQueueOptions, stats: LogStats, now: () => number) {
    if (!(options.maxQueued > 0) || !(options.maxQueueAgeMs > 0))
      throw new Error('the append queue needs a positive size and age');
    this.#options = options;
    this.#stats = stats;
    this.#now = now;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(stream: string, event: LogAppend): void {
    this.#stats.appended++;
    if (this.length >= this.#options.maxQueued) {
      this.#stats.dropped.queue_full++;
      return;
    }
    this.#items.push({ stream, event, at: this.#now() });
    this.#stats.queued = this.length;
  }

  /** Removes and returns up to `n` events, oldest first. */
  take(n: number): QueuedEvent[] {
    const end = Math.min(this.#items.length, this.#head + Math.max(0, n));
    const out = this.#items.slice(this.#head, end);
    this.#head = end;
    this.#compact();
    return out;
  }

  /** Drops the events that waited too long, counted with `reason`. */
  expire(reason: 'unavailable' | 'closed' = 'unavailable'): void {
    const oldest = this.#now() - this.#options.maxQueueAgeMs;
    while (this.#head < this.#items.length && this.#items[this.#head]!.at <= oldest) {
      this.#head++;
      this.#stats.dropped[reason]++;
    }
    this.#compact();
  }

  /** Drops everything still queued, counted with `reason`. */
  clear(reason: 'unavailable' | 'closed'): void {
    this.#stats.dropped[reason] += this.length;
    this.#items = [];
    this.#head = 0;
    this.#stats.queued = 0;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#stats.queued = this.length;
  }
}
