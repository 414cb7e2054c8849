import { EncodedEvent, type StreamEvent } from '@roar/protocol';

/** How often each slot key may go out at most, in ms (0 or absent: with every frame). */
/**
 * The least time between two pushes of a key, in ms, by key; `'*'` applies to every key not
 * named (features' own: poll results, a Q&A board, live-state keys). Absent: no spacing.
 */
export type SlotSpacing = Readonly<Record<string, number>>;

/**
 * A stream's latest-value slots: the viewer count and reaction bursts today, poll results or
 * widget values next. Per key one value waits for the stream's next frame and goes out at most
 * once per the key's spacing; a newer value replaces the waiting one (`set`) or is folded into it
 * (`merge`), so a slower push loses nothing that matters and never queues. Keys keep the order of
 * their first use (the stream's core keys are declared up front).
 */
export class LatestSlots {
  readonly #keys: string[];
  readonly #values: (StreamEvent | EncodedEvent | undefined)[];
  readonly #lastPush: number[];
  #waiting = 0;

  constructor(keys: readonly string[] = []) {
    this.#keys = [...keys];
    this.#values = keys.map(() => undefined);
    this.#lastPush = keys.map(() => 0);
  }

  /** Some value waits for its push. */
  get waiting(): boolean {
    return this.#waiting > 0;
  }

  /** `value` waits under `key`, replacing whatever waited there. */
  set(key: string, value: StreamEvent | EncodedEvent): void {
    const i = this.#index(key);
    if (this.#values[i] === undefined) this.#waiting++;
    this.#values[i] = value;
  }

  /**
   * Folds `event` into the value waiting under `key`: `fold(waiting, event)` returns what waits
   * next (it may change `waiting` in place; pass a module-level function, not a closure).
   */
  merge<E extends StreamEvent>(
    key: string,
    event: E,
    fold: (waiting: E | undefined, next: E) => E,
  ): void {
    const i = this.#index(key);
    const waiting = this.#values[i] as E | undefined;
    if (waiting === undefined) this.#waiting++;
    this.#values[i] = fold(waiting, event);
  }

  /** Appends to `out` every waiting value whose key's spacing has passed since its last push. */
  take(now: number, spacing: SlotSpacing, out: EncodedEvent[]): void {
    if (this.#waiting === 0) return;
    for (let i = 0; i < this.#keys.length; i++) {
      const value = this.#values[i];
      if (value === undefined) continue;
      const key = this.#keys[i] as string;
      if (now - (this.#lastPush[i] as number) < (spacing[key] ?? spacing['*'] ?? 0)) continue;
      out.push(value instanceof EncodedEvent ? value : EncodedEvent.of(value));
      this.#values[i] = undefined;
      this.#lastPush[i] = now;
      this.#waiting--;
    }
  }

  #index(key: string): number {
    const i = this.#keys.indexOf(key);
    if (i >= 0) return i;
    this.#values.push(undefined);
    this.#lastPush.push(0);
    return this.#keys.push(key) - 1;
  }
}
