/** How far back, in seconds of send time, late messages are judged against their own second. */
const SECONDS = 64;
/** A message sent this long before the newest one judged is late. */
const LATE_MS = 1000;

/**
 * Samples one stream's chat when it outruns what a person can read: a token bucket of
 * `budgetPerS` messages per second (burst of one second's worth), and a uniform random choice
 * among the tick's messages when there are more than tokens. Order is kept.
 *
 * Time is when messages were sent, not when they arrived: a tick whose messages were sent over
 * 20 s (the backlog a stalled gateway reads at once) is credited 20 s of budget, so a backlog at
 * a readable rate goes out whole and only a rate above the budget is sampled.
 */
export class ChatSampler {
  #budgetPerS: number;
  #tokens: number;
  #at: number;
  /** Messages delivered per second of send time, over the last `SECONDS` seconds (a ring). */
  readonly #perSecond = new Uint32Array(SECONDS);
  /** Which second each slot of `#perSecond` counts. */
  readonly #secondOf = new Float64Array(SECONDS).fill(-1);
  #offered = 0;
  #delivered = 0;
  #windowStart: number;
  #ratio = 1;

  constructor(budgetPerS: number, now: number) {
    this.#budgetPerS = budgetPerS;
    this.#tokens = budgetPerS;
    this.#at = now;
    this.#windowStart = now;
  }

  /** Messages per second from now on (the degradation ladder cuts it under load). */
  setBudget(perS: number): void {
    this.#budgetPerS = perS;
  }

  /**
   * True when a message sent at `sentAt` is late: sent well before the newest one this sampler
   * judged, as the queued chat of a stalled gateway arrives at the others. Its budget is the
   * one of the second it was sent in (see `admitLate`), which live chat mostly left unused; the
   * token bucket, which has moved on, would drop it as if it were part of a storm.
   */
  isLate(sentAt: number): boolean {
    return sentAt < this.#at - LATE_MS;
  }

  /** Decides on one late message: delivered while its second of send time has budget left. */
  admitLate(sentAt: number, now: number): boolean {
    const second = Math.floor(sentAt / 1000);
    const slot = this.#slot(second);
    const ok =
      second <= Math.floor(now / 1000) - SECONDS || this.#perSecond[slot]! < this.#budgetPerS;
    if (ok && second > Math.floor(now / 1000) - SECONDS) this.#perSecond[slot]!++;
    this.#count(1, ok ? 1 : 0, this.#at);
    return ok;
  }

  /** Counts a message `select` kept against the second it was sent in, for `admitLate`. */
  delivered(sentAt: number): void {
    this.#perSecond[this.#slot(Math.floor(sentAt / 1000))]!++;
  }

  /** The fraction of chat delivered over the last full second (1 when nothing was dropped). */
  get ratio(): number {
    return this.#ratio;
  }

  /**
   * The same at `now`: a second or more with no chat judged ends the storm it was counting (the
   * ratio only moves when chat is judged, and a storm's last second would otherwise hold it).
   */
  ratioAt(now: number): number {
    const age = now - this.#windowStart;
    if (age < 1000) return this.#ratio;
    if (age >= 2000 || this.#offered === 0) return 1;
    return this.#delivered / this.#offered;
  }

  /**
   * Chooses which of `items` go out now. `now` is when the newest of them was sent and `from`
   * when the oldest was (the same for messages sent together); `random` is injectable for tests.
   */
  select<T>(items: readonly T[], now: number, random: () => number = Math.random, from = now): T[] {
    // Idle time refills up to one second's burst; the time the items were sent over counts whole.
    const start = Math.min(now, Math.max(from, this.#at));
    if (start > this.#at) {
      this.#tokens = Math.min(
        this.#budgetPerS,
        this.#tokens + ((start - this.#at) * this.#budgetPerS) / 1000,
      );
      this.#at = start;
    }
    if (now > this.#at) {
      this.#tokens = Math.max(this.#tokens, 0) + ((now - this.#at) * this.#budgetPerS) / 1000;
      this.#at = now;
    }
    const n = items.length;
    const k = Math.min(n, Math.floor(this.#tokens));
    this.#tokens = Math.min(this.#budgetPerS, this.#tokens - k);
    this.#count(n, k, now);
    if (k === n) return [...items];
    // Selection sampling: each item kept with probability (still needed / still left).
    const out: T[] = [];
    let needed = k;
    for (let i = 0; i < n && needed > 0; i++) {
      if (random() * (n - i) < needed) {
        out.push(items[i] as T);
        needed--;
      }
    }
    return out;
  }

  /** The ring slot of `second`, emptied first when it last counted another second. */
  #slot(second: number): number {
    const slot = ((second % SECONDS) + SECONDS) % SECONDS;
    if (this.#secondOf[slot] !== second) {
      this.#secondOf[slot] = second;
      this.#perSecond[slot] = 0;
    }
    return slot;
  }

  #count(offered: number, delivered: number, now: number): void {
    if (now - this.#windowStart >= 1000) {
      this.#ratio = this.#offered === 0 ? 1 : this.#delivered / this.#offered;
      this.#offered = 0;
      this.#delivered = 0;
      this.#windowStart = now;
    }
    this.#offered += offered;
    this.#delivered += delivered;
    // A dropped message shows at once, not a second later.
    if (delivered < offered) this.#ratio = Math.min(this.#ratio, this.#delivered / this.#offered);
  }
}
