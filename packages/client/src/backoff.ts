/** How reconnect delays grow. Every field has a default; see `RoarClientOptions.reconnect`. */
export interface BackoffOptions {
  /** Ceiling of the first delay. Default 500 ms. */
  initialDelayMs?: number;
  /** Ceiling no delay exceeds. Default 30 s. */
  maxDelayMs?: number;
  /** Growth of the ceiling per failed attempt. Default 2. */
  multiplier?: number;
  /** A connection open this long counts as a success and resets the backoff. Default 5 s. */
  resetAfterMs?: number;
}

export const BACKOFF_DEFAULTS: Readonly<Required<BackoffOptions>> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  resetAfterMs: 5_000,
};

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time in
 * [0, min(max, initial·multiplier^n)). Spreading the whole interval, rather than adding a little
 * noise to a fixed delay, is what keeps a million clients dropped by one deploy from coming back
 * in lockstep.
 */
export class Backoff {
  readonly #o: Readonly<Required<BackoffOptions>>;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions, random: () => number) {
    this.#o = { ...BACKOFF_DEFAULTS, ...options };
    this.#random = random;
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The ceiling of the next delay, without consuming an attempt. */
  ceiling(): number {
    const { initialDelayMs, maxDelayMs, multiplier } = this.#o;
    // Capped before the power can overflow to Infinity on a very long outage.
    const exponent = Math.min(this.#attempt, 64);
    return Math.min(maxDelayMs, initialDelayMs * multiplier ** exponent);
  }

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    const delay = Math.floor(this.#random() * this.ceiling());
    this.#attempt++;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }

  /** True when a connection that lived `openMs` should reset the backoff. */
  isStable(openMs: number): boolean {
    return openMs >= this.#o.resetAfterMs;
  }
}
