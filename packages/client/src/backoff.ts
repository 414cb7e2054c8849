import { backoffCeilingMs, backoffDelayMs, RECONNECT_BACKOFF } from '@roar/protocol/core';

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
  ...RECONNECT_BACKOFF,
  resetAfterMs: 5_000,
};

/**
 * Exponential backoff with full jitter (`backoffDelayMs` of `@roar/protocol`, the curve the
 * overlay uses too): attempt n waits a uniformly random time in [0, min(max, initial·multiplier^n)).
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
    return backoffCeilingMs(this.#attempt, this.#o);
  }

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    const delay = backoffDelayMs(this.#attempt, this.#o, this.#random);
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
