import { BoundedQueue } from './bounded-queue.js';
import type { Clock, Timer } from './clock.js';

/** Aligning chat and reactions with a video player that runs behind real time. */
export interface PlaybackOptions {
  /**
   * How far the viewer's player is behind the live edge, in ms. A function is read each time the
   * queue is checked (at least once a second while events are held), so it can follow a player
   * whose latency drifts.
   */
  latencyMs: number | (() => number);
  /** Most events held at once; past it the oldest are dropped and counted. Default 5,000. */
  maxHeld?: number;
}

export const DEFAULT_MAX_HELD = 5_000;
/** A latency that changes while events are held is noticed within this long. */
const MAX_TIMER_MS = 1_000;

interface Held<T> {
  item: T;
  /** Server time the event happened, or undefined to use its arrival. */
  serverTs: number | undefined;
  arrivedAt: number;
}

export interface PlaybackBufferOptions<T> {
  clock: Clock;
  latencyMs: () => number;
  /** `serverClock − localClock`, as estimated from pings. */
  offsetMs: () => number;
  maxHeld: number;
  release: (item: T) => void;
}

/**
 * Holds events until the player reaches them: an event stamped `ts` on the server's clock is
 * released once `serverNow − latency ≥ ts`. Events are released strictly in the order they were
 * pushed, through one timer however many are held. No event is held longer than `latency` after
 * it arrived, so a wrong clock estimate (before the first pong, say) delays nothing by more than
 * the player does.
 */
export class PlaybackBuffer<T> {
  readonly #o: PlaybackBufferOptions<T>;
  readonly #queue: BoundedQueue<Held<T>>;
  #timer: Timer | undefined;
  #dropped = 0;

  constructor(options: PlaybackBufferOptions<T>) {
    this.#o = options;
    this.#queue = new BoundedQueue(options.maxHeld);
  }

  /** Events waiting now. */
  get held(): number {
    return this.#queue.size;
  }

  /** Events dropped, oldest first, because `maxHeld` were already waiting. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues `item`, or releases it at once when it is already due and nothing is ahead of it. */
  push(item: T, serverTs?: number): void {
    const held: Held<T> = { item, serverTs, arrivedAt: this.#o.clock.now() };
    if (this.#queue.size === 0 && this.#dueAt(held) <= held.arrivedAt) {
      this.#o.release(item);
      return;
    }
    if (this.#queue.push(held) !== undefined) this.#dropped++;
    this.#timer ??= this.#schedule();
  }

  /** Drops everything held, without releasing it. */
  clear(): void {
    this.#queue.clear();
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #latency(): number {
    const value = this.#o.latencyMs();
    return Number.isFinite(value) && value > 0 ? value : 0;
  }

  /** Local clock time at which `held` may be released. */
  #dueAt(held: Held<T>): number {
    const serverAt =
      held.serverTs === undefined ? held.arrivedAt : held.serverTs - this.#o.offsetMs();
    return Math.min(serverAt, held.arrivedAt) + this.#latency();
  }

  #schedule(): Timer | undefined {
    const head = this.#queue.peek();
    if (head === undefined) return undefined;
    const wait = this.#dueAt(head) - this.#o.clock.now();
    return this.#o.clock.setTimer(() => this.#drain(), Math.min(Math.max(wait, 0), MAX_TIMER_MS));
  }

  #drain(): void {
    this.#timer = undefined;
    const now = this.#o.clock.now();
    // Bounded by the queue's size at entry: releasing cannot add to the queue.
    for (let n = this.#queue.size; n > 0; n--) {
      const head = this.#queue.peek();
      if (head === undefined || this.#dueAt(head) > now) break;
      this.#queue.shift();
      this.#o.release(head.item);
    }
    this.#timer = this.#schedule();
  }
}
