/**
 * A token bucket: `burst` tokens, refilled at `ratePerS`. Time is passed in, so the same bucket
 * works on real and test clocks and costs no timer.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  /** The stall (by its start) this bucket was last forgiven for. */
  #forgiven: number | undefined;
  /** Messages taken since that stall began being caught up on. */
  #takenInStall = 0;

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      // Tokens forgiven above the burst are kept until spent, not clipped by the refill.
      const refilled = Math.min(
        this.burst,
        this.#tokens + ((now - this.#at) * this.ratePerS) / 1000,
      );
      this.#tokens = Math.max(this.#tokens, refilled);
      this.#at = now;
    }
  }

  /**
   * Credits, once per stall, what the stall's time would have refilled beyond the burst: the
   * messages a client sent at an allowed rate while the process was stalled arrive at once and
   * must not be refused as a burst. Never more than a bucket that saw no stall would allow.
   */
  forgive(stall: { from: number; to: number }, now: number): void {
    if (this.#forgiven === stall.from) return;
    this.#forgiven = stall.from;
    this.#takenInStall = 0;
    this.#refill(now);
    // A bucket made during the backlog is a key whose bucket was full (and forgotten) before.
    this.#tokens += (Math.max(0, stall.to - stall.from) * this.ratePerS) / 1000;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Takes `tokens` more, into debt down to `-burst`: work a request turned out to cost beyond
   * its one token is paid by the requests after it.
   */
  charge(tokens: number, now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(-this.burst, this.#tokens - tokens);
  }

  /**
   * When the message just taken during a stall's catch-up was likely sent: the client could send
   * one per `1 / ratePerS` from the stall's start, so the n-th is placed there (never after now).
   */
  sentDuring(stall: { from: number }, now: number): number {
    return Math.min(now, stall.from + Math.round((this.#takenInStall++ * 1000) / this.ratePerS));
  }

  /** Tokens available now (negative while in debt). */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Milliseconds until one token is available (0 if one is). */
  retryAfterMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerS);
  }

  /** True when the bucket is full, i.e. forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst;
  }
}

/**
 * One bucket per key (a user), created on first use. `sweep` forgets full buckets, so memory
 * follows active senders, not everyone who ever sent.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
  ) {}

  /**
   * Takes a token for `key`; returns 0 when allowed, else the milliseconds to wait. `stall`: the
   * process stalled and this may be the backlog it queued; its time is forgiven once per key.
   */
  take(key: string, now: number, stall?: { from: number; to: number }): number {
    let bucket = this.#buckets.get(key);
    if (!bucket) this.#buckets.set(key, (bucket = new TokenBucket(this.ratePerS, this.burst, now)));
    if (stall !== undefined) bucket.forgive(stall, now);
    return bucket.take(now) ? 0 : Math.max(1, bucket.retryAfterMs(now));
  }

  /** Charges `key` for extra work (see `TokenBucket.charge`). */
  charge(key: string, tokens: number, now: number): void {
    let bucket = this.#buckets.get(key);
    if (!bucket) this.#buckets.set(key, (bucket = new TokenBucket(this.ratePerS, this.burst, now)));
    bucket.charge(tokens, now);
  }

  /**
   * When the message `key` was just allowed to send was likely sent, when it was read in a
   * stall's backlog: spread over the stall at the allowed rate, rather than all at once at the
   * end of the stall (see `TokenBucket.sentDuring`).
   */
  sentAt(key: string, stall: { from: number }, now: number): number {
    return this.#buckets.get(key)?.sentDuring(stall, now) ?? now;
  }

  sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
