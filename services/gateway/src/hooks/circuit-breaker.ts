/** When the breaker opens and for how long. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number;
  /** How long an open breaker refuses calls before letting one trial call through. */
  cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker for calls to one backend. Closed, every call goes through; after `failures`
 * failures in a row it opens and refuses calls (the caller applies its fail mode at once, instead
 * of every viewer waiting out a timeout against a backend that is down). After `cooldownMs` one
 * trial call goes through (half-open): its success closes the breaker, its failure reopens it for
 * another cooldown. The clock is passed in, so tests never sleep.
 */
export class CircuitBreaker {
  readonly #o: CircuitBreakerOptions;
  #failures = 0;
  #openedAt: number | undefined;
  #trial = false;

  constructor(options: CircuitBreakerOptions) {
    this.#o = options;
  }

  state(now: number): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return now - this.#openedAt >= this.#o.cooldownMs ? 'half-open' : 'open';
  }

  /** True when a call may go out now; in half-open, only the first caller gets the trial. */
  allow(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open' || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trial = false;
  }

  /** A call failed; returns true when this failure opened (or reopened) the breaker. */
  failed(now: number): boolean {
    this.#failures++;
    const reopen =
      this.#trial || (this.#openedAt === undefined && this.#failures >= this.#o.failures);
    this.#trial = false;
    if (reopen) this.#openedAt = now;
    return reopen;
  }
}
