import type { LogEvent } from '@roar/log';
import type { Logger } from '@roar/runtime';
import type { DeadLetters } from './dead-letters.js';
import { deliver, deliveryId, type DeliveryOutcome } from './delivery.js';
import type { WebhookEndpoint } from './endpoints.js';
import type { EventFeed } from './feed.js';
import type { WebhookMetrics } from './metrics.js';

/** How one endpoint is fed, retried and given up on (`ROAR_WEBHOOK_*`). */
export interface DispatchOptions {
  /** Most events in one request. */
  maxBatch: number;
  /** How long a request waits to gather events when few are ready (the feed's wait). */
  waitMs: number;
  /**
   * Requests to one endpoint start at least this far apart: what arrives meanwhile goes in the
   * next one, so a storm raises the events per request, not the requests per second. After a
   * full batch (`maxBatch`) the next goes at once: the endpoint is behind.
   */
  minIntervalMs: number;
  timeoutMs: number;
  /** Attempts of one batch before it is dead-lettered. */
  maxAttempts: number;
  /** Backoff before the second attempt; doubled each time, up to `backoffMaxMs`, jittered. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface DispatcherDeps {
  endpoint: WebhookEndpoint;
  feed: EventFeed;
  options: DispatchOptions;
  deadLetters: DeadLetters;
  metrics: WebhookMetrics;
  log: Logger;
  now?: () => number;
}

/**
 * Delivers one endpoint's events: a batch from its feed, POSTed (signed) until a 2xx, then
 * acknowledged, then the next. One batch at a time, so events reach the endpoint in log order —
 * in order per stream — and a failing endpoint holds back only its own later events (each endpoint
 * has its own dispatcher and feed). A batch that fails `maxAttempts` times, with exponential
 * backoff between, is dead-lettered (kept for `redeliver`) and the endpoint moves on. At least
 * once: an event is acknowledged only after a 2xx or its dead-lettering, so a crash before that
 * delivers it again; receivers drop repeats by the event `id`.
 */
export class Dispatcher {
  readonly endpoint: WebhookEndpoint;
  readonly #d: DispatcherDeps;
  readonly #now: () => number;
  #running = false;
  #stopped: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** The last position acknowledged, for the admin API. */
  lastSeq = 0;
  delivered = 0;
  /** Attempts of the batch in hand that failed so far (0 while healthy). */
  failures = 0;
  lastError = '';

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    this.endpoint = deps.endpoint;
    this.#now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = this.#loop();
  }

  /** Stops after the batch in hand (its retries cut short; it is not acknowledged). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#stopped;
    await this.#d.feed.close();
  }

  /** Tries a dead letter once more now; removes it on success. */
  async redeliver(id: string): Promise<DeliveryOutcome | undefined> {
    const letter = this.#d.deadLetters.get(id);
    if (!letter || letter.endpoint !== this.endpoint.id) return undefined;
    const outcome = await this.#attempt(letter.events);
    if (outcome.result === 'ok') await this.#d.deadLetters.remove(id);
    else await this.#d.deadLetters.failedAgain(id, outcome.error);
    this.#d.metrics.deadLetters.set(
      { endpoint: this.endpoint.id },
      this.#d.deadLetters.count(this.endpoint.id),
    );
    return outcome;
  }

  async #loop(): Promise<void> {
    const { feed, options, log } = this.#d;
    let lastRequest = -Infinity;
    while (this.#running) {
      const gap = lastRequest + options.minIntervalMs - performance.now();
      if (gap > 0) await this.#sleep(gap);
      let events: LogEvent[];
      try {
        events = await feed.next(options.maxBatch, options.waitMs);
      } catch (error) {
        log.warn('webhook feed failed; retrying', { endpoint: this.endpoint.id, error });
        await this.#sleep(options.backoffBaseMs);
        continue;
      }
      const last = events.at(-1);
      if (last === undefined || !this.#running) continue;
      lastRequest = events.length >= options.maxBatch ? -Infinity : performance.now();
      if (!(await this.#deliverBatch(events))) return;
      try {
        await feed.ack(last.seq);
        this.lastSeq = last.seq;
      } catch (error) {
        // Not acknowledged: the batch comes again after a restart (at least once).
        log.warn('webhook acknowledgement failed', { endpoint: this.endpoint.id, error });
      }
    }
  }

  /** Delivers or dead-letters `events`; false only when stopped meanwhile. */
  async #deliverBatch(events: LogEvent[]): Promise<boolean> {
    const { options, metrics } = this.#d;
    const endpoint = this.endpoint.id;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(events);
      if (outcome.result === 'ok') {
        this.failures = 0;
        metrics.failing.set({ endpoint }, 0);
        return true;
      }
      this.failures = attempt;
      this.lastError = outcome.error;
      metrics.failing.set({ endpoint }, 1);
      if (attempt >= options.maxAttempts) break;
      const backoff = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (attempt - 1));
      await this.#sleep(backoff / 2 + Math.random() * (backoff / 2));
      if (!this.#running) return false;
    }
    const letter = {
      id: deliveryId(endpoint, events),
      endpoint,
      events,
      attempts: options.maxAttempts,
      lastError: this.lastError,
      failedAt: this.#now(),
    };
    // Stored before the batch is acknowledged: until the journal takes it, the endpoint waits
    // (a later acknowledgement would cover this batch too).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#d.deadLetters.add(letter);
        break;
      } catch (error) {
        this.#d.log.warn('dead letter not stored; retrying', { endpoint, error });
        await this.#sleep(Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** attempt));
        if (!this.#running) return false;
      }
    }
    metrics.deadLettered.inc({ endpoint }, events.length);
    metrics.deadLetters.set({ endpoint }, this.#d.deadLetters.count(endpoint));
    this.#d.log.warn('webhook batch dead-lettered', {
      endpoint,
      events: events.length,
      error: this.lastError,
    });
    this.failures = 0;
    metrics.failing.set({ endpoint }, 0);
    return true;
  }

  async #attempt(events: LogEvent[]): Promise<DeliveryOutcome> {
    const { metrics, options } = this.#d;
    const endpoint = this.endpoint.id;
    const outcome = await deliver(this.endpoint, events, options.timeoutMs, this.#now());
    metrics.requests.inc({ endpoint, result: outcome.result });
    if (outcome.result === 'ok') {
      metrics.batchSize.observe({ endpoint }, events.length);
      metrics.events.inc({ endpoint }, events.length);
      this.delivered += events.length;
      const newest = events.at(-1);
      if (newest) metrics.lagSeconds.set({ endpoint }, Math.max(0, this.#now() - newest.ts) / 1000);
    }
    return outcome;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
