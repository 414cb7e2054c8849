/** What each level turns off; a level includes every level below it. */
export const LEVEL_TEXT = [
  'normal',
  'slower viewer counts',
  'coarser reaction bursts',
  'chat is sampled harder',
  'chat is read-only',
  'not admitting new viewers',
] as const;
export const MAX_LEVEL = LEVEL_TEXT.length - 1;

export interface Pressure {
  /** Event-loop delay, p99 over the last sample period. */
  loopDelayMs: number;
  /** Bytes waiting in all connections' send buffers. */
  bufferedBytes: number;
  /**
   * Share of one core this process used while fanout had no writes queued: with a backlog its
   * writes merge a stream's news and take whatever the rest leaves (see `fanoutMs`).
   */
  cpu: number;
  /** How far behind fanout's writes are: the longest a frame took to reach every socket, ms. */
  fanoutMs: number;
}

export interface LadderOptions {
  /** A signal at or above its limit is pressure. */
  limits: Pressure;
  /** Pressure held this long steps one level up. */
  upAfterMs: number;
  /** Calm (every signal under `calmFactor` of its limit) held this long steps one level down. */
  downAfterMs: number;
  calmFactor: number;
}

/**
 * The degradation ladder: measured pressure moves the level one step at a time, up quickly and
 * down slowly (hysteresis), so a noisy signal cannot make it flap. A pinned level (from an
 * operator) overrides the measurements until unpinned.
 */
export class DegradationLadder {
  readonly #o: LadderOptions;
  readonly #onChange: (level: number, previous: number, why: string) => void;
  #measured = 0;
  #pinned: number | undefined;
  #pressureSince: number | undefined;
  #calmSince: number | undefined;

  constructor(
    options: LadderOptions,
    onChange: (level: number, previous: number, why: string) => void,
  ) {
    this.#o = options;
    this.#onChange = onChange;
  }

  get level(): number {
    return this.#pinned ?? this.#measured;
  }

  get pinned(): number | undefined {
    return this.#pinned;
  }

  /** Ratio of the most pressed signal to its limit (≥ 1 is pressure). */
  static load(p: Pressure, limits: Pressure): number {
    return DegradationLadder.mostPressed(p, limits)[1];
  }

  /** The most pressed signal and its ratio to its limit. */
  static mostPressed(p: Pressure, limits: Pressure): [keyof Pressure, number] {
    let most: [keyof Pressure, number] = ['cpu', 0];
    for (const key of Object.keys(limits) as (keyof Pressure)[]) {
      const ratio = p[key] / limits[key];
      if (ratio > most[1]) most = [key, ratio];
    }
    return most;
  }

  sample(p: Pressure, now: number): void {
    const [signal, load] = DegradationLadder.mostPressed(p, this.#o.limits);
    if (load >= 1) {
      this.#calmSince = undefined;
      this.#pressureSince ??= now;
      if (now - this.#pressureSince >= this.#o.upAfterMs && this.#measured < MAX_LEVEL) {
        this.#set(this.#measured + 1, `${signal} ${load.toFixed(2)}× its limit`);
        this.#pressureSince = now;
      }
    } else {
      this.#pressureSince = undefined;
      if (load >= this.#o.calmFactor) {
        this.#calmSince = undefined;
        return;
      }
      this.#calmSince ??= now;
      if (now - this.#calmSince >= this.#o.downAfterMs && this.#measured > 0) {
        this.#set(this.#measured - 1, 'calm');
        this.#calmSince = now;
      }
    }
  }

  /** Pins the level (an operator's decision), or unpins with undefined. */
  pin(level: number | undefined): void {
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL)) {
      throw new RangeError(`level must be an integer from 0 to ${MAX_LEVEL}`);
    }
    const before = this.level;
    this.#pinned = level;
    if (this.level !== before)
      this.#onChange(this.level, before, level === undefined ? 'unpinned' : 'pinned');
  }

  #set(measured: number, why: string): void {
    const before = this.level;
    this.#measured = measured;
    if (this.level !== before) this.#onChange(this.level, before, why);
  }
}
