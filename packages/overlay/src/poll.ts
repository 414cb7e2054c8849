import { backoffDelayMs } from '@roar/protocol/core';
import { schedule as defaultSchedule, type Schedule } from './timing.js';

/** The part of a fetch `Response` the poller reads. */
export interface ViewersResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** The part of `fetch` the poller uses; `globalThis.fetch` satisfies it. */
export type ViewersFetch = (
  url: string,
  init: { headers: Record<string, string>; cache?: 'no-cache' },
) => Promise<ViewersResponse>;

/**
 * Who makes the request conditional. `manual`: the poller sends `If-None-Match` itself and
 * handles the `304`. `browser`, for a cross-origin count: a custom `If-None-Match` would need a
 * CORS preflight the endpoint does not answer (and its `ETag` is not readable cross-origin), so
 * the poller asks for revalidation (`cache: 'no-cache'`) and the browser's HTTP cache sends the
 * `If-None-Match`, taking a `304` as its stored copy.
 */
export type Revalidation = 'manual' | 'browser';

export interface PollOptions {
  /** `GET /v1/streams/{id}/viewers` of the stream. */
  url: string;
  /** Time between polls while they succeed. */
  intervalMs: number;
  /** Default `manual`. */
  revalidation?: Revalidation;
  onCount(total: number): void;
  fetch?: ViewersFetch;
  schedule?: Schedule;
  random?: () => number;
}

/** Longest wait between polls while they fail. */
const MAX_ERROR_DELAY_MS = 60_000;

/**
 * Polls the cacheable count endpoint: each poll is conditional on the last `ETag`
 * (`If-None-Match`), so an unchanged count costs a `304` with no body, and a CDN in front answers
 * it from its cache.
 * After a failure the next poll waits a jittered, doubling delay (up to a minute), so a count
 * endpoint in trouble is not hammered by every player page at once.
 */
export class ViewersPoller {
  readonly #o: PollOptions;
  readonly #fetch: ViewersFetch;
  readonly #schedule: Schedule;
  readonly #random: () => number;
  #etag: string | undefined;
  #errors = 0;
  #cancel: (() => void) | undefined;
  #running = false;
  /** Increases on every start and stop, so a poll in flight from before cannot schedule more. */
  #generation = 0;

  constructor(options: PollOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#random = options.random ?? Math.random;
  }

  /** Polls now, then every interval, until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick(++this.#generation);
  }

  stop(): void {
    this.#running = false;
    this.#generation++;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /**
   * One poll. Resolves with the delay before the next one: the interval after a `200` or `304`,
   * a backoff delay after a failure.
   */
  poll(): Promise<number> {
    return this.#poll(() => true);
  }

  /** One poll; `current` says whether its count is still wanted (no stop since it started). */
  async #poll(current: () => boolean): Promise<number> {
    try {
      const res =
        this.#o.revalidation === 'browser'
          ? await this.#fetch(this.#o.url, { headers: {}, cache: 'no-cache' })
          : await this.#fetch(this.#o.url, {
              headers: this.#etag ? { 'if-none-match': this.#etag } : {},
            });
      if (res.status === 200) {
        const body = (await res.json()) as { total?: unknown };
        if (typeof body.total !== 'number') throw new Error('the count has no total');
        this.#etag = res.headers.get('etag') ?? undefined;
        if (current()) this.#o.onCount(body.total);
      } else if (res.status !== 304) {
        throw new Error(`the count endpoint answered ${res.status}`);
      }
      this.#errors = 0;
      return this.#o.intervalMs;
    } catch {
      // Shown as the last count; the next poll, later than usual, tries again.
      this.#errors++;
      const { intervalMs } = this.#o;
      const curve = { initialDelayMs: intervalMs, maxDelayMs: MAX_ERROR_DELAY_MS, multiplier: 2 };
      return intervalMs + backoffDelayMs(this.#errors, curve, this.#random);
    }
  }

  async #tick(generation: number): Promise<void> {
    const current = (): boolean => generation === this.#generation;
    const delayMs = await this.#poll(current);
    if (!current()) return;
    this.#cancel = this.#schedule(() => void this.#tick(generation), delayMs);
  }
}
