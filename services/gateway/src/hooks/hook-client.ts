import { CircuitBreaker } from './circuit-breaker.js';
import type { HookMetrics, HookName } from './hook-metrics.js';

/** Why a hook call gave no answer: the fail mode of the hook decides what happens then. */
export type HookFailureReason =
  'http_error' | 'timeout' | 'bad_answer' | 'network' | 'breaker_open';

export class HookFailure extends Error {
  readonly reason: HookFailureReason;

  constructor(reason: HookFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HookFailure';
    this.reason = reason;
  }
}

export interface HookClientOptions {
  hook: HookName;
  url: string;
  timeoutMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Sent as `Authorization: Bearer <secret>` so the app knows the call is Roar's. */
  secret: string | undefined;
  metrics: HookMetrics;
  now: () => number;
}

/**
 * One hook endpoint of the app backend: a JSON POST with a time budget, behind a circuit breaker.
 * `call` resolves with the parsed answer or rejects with a `HookFailure` (never anything else):
 * the caller turns a failure into its hook's fail mode.
 */
export class HookClient {
  readonly #o: HookClientOptions;
  readonly #breaker: CircuitBreaker;

  constructor(options: HookClientOptions) {
    this.#o = options;
    this.#breaker = new CircuitBreaker({
      failures: options.breakerFailures,
      cooldownMs: options.breakerCooldownMs,
    });
  }

  /** POSTs `body`; `parse` checks the JSON answer and throws (any error) when it is wrong. */
  async call<T>(body: unknown, parse: (answer: unknown) => T): Promise<T> {
    const { hook, metrics } = this.#o;
    if (!this.#breaker.allow(this.#o.now())) {
      metrics.requests.inc({ hook, result: 'breaker_open' });
      throw new HookFailure('breaker_open', `the ${hook} hook's circuit breaker is open`);
    }
    const started = performance.now();
    try {
      const answer = parseAnswer(await this.#post(body), parse);
      this.#breaker.succeeded();
      metrics.breakerOpen.set({ hook }, 0);
      metrics.requests.inc({ hook, result: 'ok' });
      return answer;
    } catch (error) {
      const failure =
        error instanceof HookFailure
          ? error
          : new HookFailure('network', `the ${hook} hook failed`, { cause: error });
      if (this.#breaker.failed(this.#o.now())) metrics.breakerOpen.set({ hook }, 1);
      metrics.requests.inc({ hook, result: failure.reason });
      throw failure;
    } finally {
      metrics.seconds.observe({ hook }, (performance.now() - started) / 1000);
    }
  }

  async #post(body: unknown): Promise<unknown> {
    const { hook, timeoutMs, secret } = this.#o;
    let res: Response;
    try {
      res = await fetch(this.#o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
      throw new HookFailure(
        timedOut ? 'timeout' : 'network',
        timedOut ? `the ${hook} hook took over ${timeoutMs} ms` : `the ${hook} hook is unreachable`,
        { cause },
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new HookFailure('http_error', `the ${hook} hook answered HTTP ${res.status}`);
    }
    try {
      return await res.json();
    } catch (cause) {
      const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
      throw new HookFailure(
        timedOut ? 'timeout' : 'bad_answer',
        `the ${hook} hook's answer ${timedOut ? 'came too slowly' : 'is not JSON'}`,
        { cause },
      );
    }
  }
}

function parseAnswer<T>(answer: unknown, parse: (answer: unknown) => T): T {
  try {
    return parse(answer);
  } catch (cause) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    throw new HookFailure('bad_answer', `the hook's answer is malformed${detail}`, { cause });
  }
}
