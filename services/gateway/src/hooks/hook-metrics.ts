import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type HookName = 'connect' | 'join' | 'publish';

/**
 * How the backend hooks behave, in the gateway's registry (docs/operations.md lists them). Hook
 * calls are far rarer than frames (cache, coalescing and batching see to it), so prom-client's
 * labelled metrics are cheap enough here.
 */
export class HookMetrics {
  readonly requests: Counter<'hook' | 'result'>;
  readonly seconds: Histogram<'hook'>;
  readonly decisions: Counter<'hook' | 'source'>;
  readonly batchSize: Histogram;
  readonly breakerOpen: Gauge<'hook'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'roar_hook_requests_total',
      help: 'HTTP requests to the app backend by hook and result (ok, http_error, timeout, bad_answer, network, breaker_open)',
      labelNames: ['hook', 'result'] as const,
      registers,
    });
    this.seconds = new Histogram({
      name: 'roar_hook_request_seconds',
      help: 'Time the app backend took to answer a hook request',
      labelNames: ['hook'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.decisions = new Counter({
      name: 'roar_hook_decisions_total',
      help: 'Hook decisions by where they came from (backend, cache, coalesced, fail_open, fail_closed)',
      labelNames: ['hook', 'source'] as const,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'roar_hook_join_batch_size',
      help: 'Join checks carried by one join hook request',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    });
    this.breakerOpen = new Gauge({
      name: 'roar_hook_breaker_open',
      help: '1 while the hook circuit breaker is open (calls fail fast with the fail mode)',
      labelNames: ['hook'] as const,
      registers,
    });
  }
}
