import type { StreamRecord } from './stream-table.js';

/** A FIFO of records: O(1) push and shift, compacted as it drains, so memory follows its length. */
export class RecordQueue {
  #items: (StreamRecord | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(record: StreamRecord): void {
    this.#items.push(record);
  }

  peek(): StreamRecord | undefined {
    return this.#items[this.#head];
  }

  shift(): StreamRecord | undefined {
    const record = this.#items[this.#head];
    if (record === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return record;
  }
}
