export interface BatcherOptions<I, O> {
  /** A partial batch goes out this long after its first item. */
  windowMs: number;
  /** A batch this big goes out at once. */
  maxItems: number;
  /**
   * Sends one batch; resolves with one result per item, in order, or rejects (every item of the
   * batch then rejects with that error).
   */
  send: (items: I[]) => Promise<O[]>;
}

/**
 * Gathers single requests into batches: at the toss thousands of joins a second become one
 * backend request per window (or per `maxItems`) instead of one each. Each `add` resolves with
 * its own item's result. A batch in flight does not hold back the next one.
 */
export class Batcher<I, O> {
  readonly #o: BatcherOptions<I, O>;
  #items: I[] = [];
  #waiters: { resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BatcherOptions<I, O>) {
    this.#o = options;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#items.push(item);
      this.#waiters.push({ resolve, reject });
      if (this.#items.length >= this.#o.maxItems) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#o.windowMs);
    });
  }

  /** Sends what is gathered now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#items.length === 0) return;
    const items = this.#items;
    const waiters = this.#waiters;
    this.#items = [];
    this.#waiters = [];
    this.#o.send(items).then(
      (results) => {
        waiters.forEach((w, i) => w.resolve(results[i] as O));
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
  }
}
