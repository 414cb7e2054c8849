import type { LogEvent } from '@roar/log';

/** A batch that failed every attempt, kept for an operator to redeliver. */
export interface DeadLetter {
  id: string;
  endpoint: string;
  events: LogEvent[];
  attempts: number;
  lastError: string;
  failedAt: number;
}

/**
 * Dead-lettered batches of one process, oldest first, at most `max` (past it the oldest is
 * dropped and counted). They live in memory: a restart forgets them, but not their events,
 * which stay in the log for its retention (an app can read them there by `seq`).
 */
export class DeadLetters {
  readonly #letters = new Map<string, DeadLetter>();
  readonly #max: number;
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  add(letter: DeadLetter): void {
    if (this.#letters.size >= this.#max) {
      const oldest = this.#letters.keys().next();
      if (!oldest.done) this.#letters.delete(oldest.value);
      this.dropped++;
    }
    this.#letters.set(letter.id, letter);
  }

  get(id: string): DeadLetter | undefined {
    return this.#letters.get(id);
  }

  remove(id: string): boolean {
    return this.#letters.delete(id);
  }

  list(endpoint?: string): DeadLetter[] {
    const all = [...this.#letters.values()];
    return endpoint === undefined ? all : all.filter((l) => l.endpoint === endpoint);
  }

  count(endpoint: string): number {
    return this.list(endpoint).length;
  }
}
