/**
 * The last `capacity` ids added, for dropping duplicates: a membership test in O(1), with the
 * oldest id forgotten when a new one arrives at capacity. Memory stays bounded on a stream that
 * runs for days.
 */
export class RecentIds {
  readonly #set = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.#set.has(id);
  }

  /** Adds `id`; false when it was already there (a duplicate). */
  add(id: string): boolean {
    if (this.#set.has(id)) return false;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#set.delete(evicted);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.capacity;
    this.#set.add(id);
    return true;
  }

  get size(): number {
    return this.#set.size;
  }
}
