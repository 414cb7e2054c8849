import type { ChatEvent, EncodedEvent } from '@roar/protocol';

export interface RecentEntry {
  id: string;
  event: EncodedEvent<ChatEvent>;
}

/**
 * The newest chat messages of one stream, as this gateway delivered them: what a joining viewer
 * gets as history and what a reconnecting viewer resumes from. Kept current from the bus, so a
 * crowd joining at once costs no store reads.
 */
export class RecentChat {
  #entries: RecentEntry[] = [];
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  push(entry: RecentEntry): void {
    this.#entries.push(entry);
    // Trim in chunks so a busy stream does not shift the array on every message.
    if (this.#entries.length > this.capacity + 64) {
      this.#entries = this.#entries.slice(-this.capacity);
    }
  }

  /** Puts stored history before what the bus already delivered, without duplicates. */
  seed(older: readonly RecentEntry[]): void {
    const have = new Set(this.#entries.map((e) => e.id));
    const merged = older.filter((e) => !have.has(e.id)).concat(this.#entries);
    this.#entries = merged.slice(-this.capacity);
  }

  /** The newest `n` entries, oldest first. */
  last(n: number): RecentEntry[] {
    if (n <= 0) return [];
    return this.#window().slice(-n);
  }

  /** Entries after `id`, or undefined when `id` is not in the window (a gap). */
  after(id: string): RecentEntry[] | undefined {
    const window = this.#window();
    for (let i = window.length - 1; i >= 0; i--) {
      if (window[i]?.id === id) return window.slice(i + 1);
    }
    return undefined;
  }

  remove(id: string): boolean {
    const i = this.#entries.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    return true;
  }

  clear(): void {
    this.#entries = [];
  }

  #window(): RecentEntry[] {
    return this.#entries.length > this.capacity
      ? this.#entries.slice(-this.capacity)
      : this.#entries;
  }
}
