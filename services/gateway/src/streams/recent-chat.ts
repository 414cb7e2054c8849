import type { ChatEvent, EncodedEvent } from '@roar/protocol';

export interface RecentEntry {
  id: string;
  event: EncodedEvent<ChatEvent>;
  /**
   * An earlier message of this entry's origin (see `ChatEvent.origin`) is missing from this
   * gateway's chat: a position between the origin's previous message here and this one never
   * arrived, or this is the first message of its origin here and it is not the origin's first.
   */
  hole?: boolean;
}

/** What a resume from a message id can serve. */
export interface Resume {
  /** The messages after `since`, oldest first; undefined when `since` is not in the window. */
  entries: RecentEntry[] | undefined;
  /** True when messages after `since` may be missing from `entries`. */
  gap: boolean;
}

/** Origins remembered per stream before the oldest are forgotten (a gateway restart adds one). */
const MAX_ORIGINS = 1024;

/**
 * The newest chat messages of one stream, as this gateway delivered them: what a joining viewer
 * gets as history and what a reconnecting viewer resumes from. Kept current from the bus, so a
 * crowd joining at once costs no store reads.
 *
 * It also checks positions: each origin's messages must follow one another (`seq` 1, 2, 3...).
 * A jump is a hole; `push` reports it so the gateway can recover the messages, and the entry
 * after it carries `hole` until they are filled, so a resume across it answers `gap: true`.
 */
export class RecentChat {
  #entries: RecentEntry[] = [];
  /** The highest position seen per origin. */
  #last = new Map<string, number>();
  /** Set once stored history was merged in: before that, a first-seen origin is not a hole. */
  #seeded = false;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Appends a message that arrived live. Returns how many positions of its origin were skipped
   * right before it (0 for none, for a late or repeated one, and for an origin seen first).
   */
  push(entry: RecentEntry): number {
    const missing = this.#track(entry, !this.#seeded);
    this.#entries.push(entry);
    // Trim in chunks so a busy stream does not shift the array on every message.
    if (this.#entries.length > this.capacity + 64) {
      this.#entries = this.#entries.slice(-this.capacity);
    }
    return missing;
  }

  /**
   * Puts stored history before what the bus already delivered, without duplicates, and checks
   * the positions of the whole window again.
   */
  seed(older: readonly RecentEntry[]): void {
    const have = new Set(this.#entries.map((e) => e.id));
    const merged: RecentEntry[] = [];
    for (const e of older) {
      if (have.has(e.id)) continue;
      have.add(e.id);
      merged.push(e);
    }
    this.#entries = merged.concat(this.#entries).slice(-this.capacity);
    this.#seeded = true;
    this.#last.clear();
    for (const e of this.#entries) this.#track(e, false);
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

  /**
   * The messages after `since` and whether that is all of them: a gap when `since` fell out of
   * the window, or when a message served comes after a hole of its origin. A hole that ended
   * before `since` cannot always be told from one after it (a lost message has no place in the
   * window), so it counts: the answer may say `gap` when nothing is missing, never the reverse.
   */
  resume(since: string): Resume {
    const entries = this.after(since);
    if (entries === undefined) return { entries, gap: true };
    for (const e of entries) if (e.hole === true) return { entries, gap: true };
    return { entries, gap: false };
  }

  /**
   * Positions of `origin` from `from` to `to` (inclusive) were recovered or given up on: the entry
   * right after them no longer marks a hole when `recovered` is true.
   */
  settle(origin: string, to: number, recovered: boolean): void {
    if (!recovered) return;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i] as RecentEntry;
      const event = e.event.event;
      if (event.origin === origin && event.seq === to + 1) {
        e.hole = false;
        return;
      }
    }
  }

  /** The highest position of `origin` seen here, if any. */
  newest(origin: string): number | undefined {
    return this.#last.get(origin);
  }

  /** True when the message `id` is in the window. */
  has(id: string): boolean {
    for (let i = this.#entries.length - 1; i >= 0; i--)
      if (this.#entries[i]?.id === id) return true;
    return false;
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

  /**
   * Records `entry`'s position and sets its `hole` flag; returns the positions skipped after a
   * position already seen from the same origin. `lenient`: a first-seen origin is no hole (before
   * the stored history is merged in, it may hold the earlier messages).
   */
  #track(entry: RecentEntry, lenient: boolean): number {
    const { origin, seq } = entry.event.event;
    if (typeof origin !== 'string' || typeof seq !== 'number') return 0;
    const last = this.#last.get(origin);
    if (last === undefined) {
      if (this.#last.size >= MAX_ORIGINS) this.#last.clear();
      this.#last.set(origin, seq);
      entry.hole = !lenient && seq > 1;
      return 0;
    }
    if (seq <= last) return 0;
    this.#last.set(origin, seq);
    const missing = seq - last - 1;
    entry.hole = missing > 0;
    return missing;
  }

  #window(): RecentEntry[] {
    return this.#entries.length > this.capacity
      ? this.#entries.slice(-this.capacity)
      : this.#entries;
  }
}
