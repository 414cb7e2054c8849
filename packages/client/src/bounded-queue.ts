/** A FIFO ring of at most `capacity` items; pushing onto a full queue evicts the oldest. */
export class BoundedQueue<T> {
  readonly #items: (T | undefined)[] = [];
  #head = 0;
  #size = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#size;
  }

  /** Appends `item`; returns the item evicted to make room, if any. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.#size === this.capacity) evicted = this.shift();
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    return evicted;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    // Cleared so a released event can be garbage-collected while the ring slot waits for reuse.
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#size = 0;
  }
}
