import { EncodedEvent, pack, type StreamEvent } from '@roar/protocol';

/**
 * The least time between two pushes of a key, in ms, by key; `'*'` applies to every key not
 * named (features' own: poll results, a Q&A board, live-state keys). Absent: no spacing.
 */
export type SlotSpacing = Readonly<Record<string, number>>;

/** Numbers kept per key for `reached` (pairs of generation and time): 2 KB at most. */
const MAX_ARRIVALS = 256;

/** A slot's value as a batch carries it: its key's index, its generation, the event. */
export interface SlotValue {
  key: number;
  gen: number;
  event: EncodedEvent;
}

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
  /** Per key, bumped by every `set` and `merge`: tells a value from the one before it. */
  readonly #gen: number[];
  /** Keys whose values are increments (reaction bursts), not whole values: never sent twice. */
  readonly #deltas: ReadonlySet<string>;
  #waiting = 0;
  /** What the last `take` took (see `lastTaken`). */
  #taken: SlotValue[] = [];
  /**
   * Per key, the generations not yet held by every slice of the stream and when each was set,
   * as pairs (generation, ms) in order (see `reached`); at most `MAX_ARRIVALS` of them.
   */
  readonly #arrivals: number[][];
  readonly #clock: () => number;

  constructor(
    keys: readonly string[] = [],
    deltas: readonly string[] = [],
    clock: () => number = Date.now,
  ) {
    this.#keys = [...keys];
    this.#values = keys.map(() => undefined);
    this.#lastPush = keys.map(() => 0);
    this.#gen = keys.map(() => 0);
    this.#arrivals = keys.map(() => []);
    this.#deltas = new Set(deltas);
    this.#clock = clock;
  }

  /** The key at `index` (of `SlotValue.key`). */
  keyAt(index: number): string {
    return this.#keys[index] as string;
  }

  /**
   * Every slice of the stream now holds generation `gen` of the key at `index`, or a newer one:
   * `observe` gets, for each value set since and up to it, the ms from its set until now.
   */
  reached(
    index: number,
    gen: number,
    now: number,
    observe: (ms: number, key: string) => void,
  ): void {
    const arrivals = this.#arrivals[index];
    if (arrivals === undefined) return;
    let n = 0;
    while (n < arrivals.length && (arrivals[n] as number) <= gen) {
      observe(now - (arrivals[n + 1] as number), this.#keys[index] as string);
      n += 2;
    }
    if (n > 0) arrivals.splice(0, n);
  }

  /** The values the last `take` took, with their keys and generations. */
  get lastTaken(): readonly SlotValue[] {
    return this.#taken;
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
    this.#bump(i);
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
    this.#bump(i);
  }

  /** A new value of the key at `i`: its generation, and when it came (for `reached`). */
  #bump(i: number): void {
    const gen = (this.#gen[i] as number) + 1;
    this.#gen[i] = gen;
    const arrivals = this.#arrivals[i] as number[];
    // Full (a stream nobody is written to): the newest arrival takes the place of the one before,
    // keeping its time, so what is observed errs long, never short.
    if (arrivals.length >= MAX_ARRIVALS) arrivals[arrivals.length - 2] = gen;
    else arrivals.push(gen, this.#clock());
  }

  /** Appends to `out` every waiting value whose key's spacing has passed since its last push. */
  take(now: number, spacing: SlotSpacing, out: EncodedEvent[]): void {
    if (this.#taken.length > 0) this.#taken = [];
    if (this.#waiting === 0) return;
    for (let i = 0; i < this.#keys.length; i++) {
      const value = this.#values[i];
      if (value === undefined) continue;
      const key = this.#keys[i] as string;
      if (now - (this.#lastPush[i] as number) < (spacing[key] ?? spacing['*'] ?? 0)) continue;
      const event = value instanceof EncodedEvent ? value : EncodedEvent.of(value);
      out.push(event);
      this.#taken.push({ key: i, gen: this.#gen[i] as number, event });
      this.#values[i] = undefined;
      this.#lastPush[i] = now;
      this.#waiting--;
    }
  }

  /**
   * The waiting values a batch still being written may carry to its slices not yet written (see
   * `SliceFrames`): whole values (no increments) of keys sent with every frame (no spacing),
   * newer than `carried` says the batch holds (by key index: the generation). They stay waiting
   * for the slices already written; a merged one is copied (its bytes), as a later `merge` may
   * change the waiting value in place.
   */
  newer(spacing: SlotSpacing, carried: ReadonlyMap<number, number>): SlotValue[] | undefined {
    if (this.#waiting === 0) return undefined;
    let out: SlotValue[] | undefined;
    for (let i = 0; i < this.#keys.length; i++) {
      const value = this.#values[i];
      const gen = this.#gen[i] as number;
      if (value === undefined || gen <= (carried.get(i) ?? -1)) continue;
      const key = this.#keys[i] as string;
      if (this.#deltas.has(key) || (spacing[key] ?? spacing['*'] ?? 0) > 0) continue;
      const event = value instanceof EncodedEvent ? value : EncodedEvent.fromMsgpack(pack(value));
      (out ??= []).push({ key: i, gen, event });
    }
    return out;
  }

  #index(key: string): number {
    const i = this.#keys.indexOf(key);
    if (i >= 0) return i;
    this.#values.push(undefined);
    this.#lastPush.push(0);
    this.#gen.push(0);
    this.#arrivals.push([]);
    return this.#keys.push(key) - 1;
  }
}
