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
 * Where dead letters outlive the process: `MemoryDeadLetterJournal` (embedded mode: the process
 * is the whole deployment, so its memory is as durable as its log) or `JetStreamDeadLetterJournal`
 * (the webhook process). A `put` or `delete` that resolves has been stored; one that rejects may
 * not have been, and the caller keeps the batch unacknowledged until it is.
 */
export interface DeadLetterJournal {
  /**
   * It can store now as far as it knows (JetStream: its stream was made sure of since the
   * connection last (re)connected); `/readyz` reports it.
   */
  readonly ready: boolean;
  /** Every letter stored, oldest first. */
  load(): Promise<DeadLetter[]>;
  /** Stores `letter`, replacing one with its id. */
  put(letter: DeadLetter): Promise<void>;
  delete(id: string): Promise<void>;
  /**
   * Calls `restore` whenever the store is found to have come back empty (JetStream restarted
   * without it), until a call resolves: the owner of the letters puts them all back.
   */
  onLost?(restore: () => Promise<void>): void;
}

/** The journal of embedded mode: what it holds lives as long as the process. */
export class MemoryDeadLetterJournal implements DeadLetterJournal {
  readonly #letters = new Map<string, DeadLetter>();
  /** Memory is always there. */
  readonly ready = true;

  async load(): Promise<DeadLetter[]> {
    return [...this.#letters.values()].map((l) => structuredClone(l));
  }

  async put(letter: DeadLetter): Promise<void> {
    this.#letters.delete(letter.id);
    this.#letters.set(letter.id, structuredClone(letter));
  }

  async delete(id: string): Promise<void> {
    this.#letters.delete(id);
  }
}

/**
 * The dead letters of one deployment, oldest first, at most `max` (past it the oldest is dropped
 * and counted). Read from memory; every change is written to the journal first, so a restarted
 * process lists and redelivers what the last one dead-lettered. Their events also stay in the
 * log for its retention (an app can read them there by `seq`).
 */
export class DeadLetters {
  readonly #letters = new Map<string, DeadLetter>();
  readonly #max: number;
  readonly #journal: DeadLetterJournal;
  dropped = 0;

  private constructor(max: number, journal: DeadLetterJournal) {
    this.#max = max;
    this.#journal = journal;
  }

  /** The letters `journal` holds, the newest `max` of them. */
  static async open(max: number, journal: DeadLetterJournal): Promise<DeadLetters> {
    const d = new DeadLetters(max, journal);
    const all = await journal.load();
    // Past the bound (it was lowered since they were stored): the oldest go, as they would have.
    const over = Math.max(0, all.length - max);
    for (const letter of all.slice(0, over)) await journal.delete(letter.id);
    d.dropped = over;
    for (const letter of all.slice(over)) d.#letters.set(letter.id, letter);
    // The store lost them (came back empty): this process still lists them, and puts them back.
    journal.onLost?.(async () => {
      for (const letter of [...d.#letters.values()]) await journal.put(letter);
    });
    return d;
  }

  /** Stores `letter`; rejects (keeping nothing) when the journal cannot. */
  async add(letter: DeadLetter): Promise<void> {
    await this.#journal.put(letter);
    this.#letters.delete(letter.id);
    if (this.#letters.size >= this.#max) {
      const oldest = this.#letters.keys().next();
      if (!oldest.done) {
        this.#letters.delete(oldest.value);
        await this.#journal.delete(oldest.value);
      }
      this.dropped++;
    }
    this.#letters.set(letter.id, letter);
  }

  /** Records another failed attempt of a letter (kept, with its new count and error). */
  async failedAgain(id: string, error: string): Promise<void> {
    const letter = this.#letters.get(id);
    if (!letter) return;
    const next = { ...letter, attempts: letter.attempts + 1, lastError: error };
    await this.#journal.put(next);
    // Stored again, it is the journal's newest: the same order here.
    this.#letters.delete(id);
    this.#letters.set(id, next);
  }

  get(id: string): DeadLetter | undefined {
    return this.#letters.get(id);
  }

  async remove(id: string): Promise<boolean> {
    if (!this.#letters.has(id)) return false;
    await this.#journal.delete(id);
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
