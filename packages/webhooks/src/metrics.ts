import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The webhook process's metrics (docs/operations.md lists them), label `endpoint`. */
export class WebhookMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'roar_webhook_requests_total',
    help: 'Delivery requests by endpoint and result (ok, http_error, timeout, network)',
    labelNames: ['endpoint', 'result'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'roar_webhook_events_delivered_total',
    help: 'Events delivered (acknowledged with a 2xx), counted once per successful request',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'roar_webhook_events_per_request',
    help: 'Events carried by one delivery request',
    labelNames: ['endpoint'] as const,
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'roar_webhook_dead_lettered_events_total',
    help: 'Events set aside after every retry failed',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Gauge({
    name: 'roar_webhook_dead_letters',
    help: 'Dead-lettered batches waiting for a redelivery',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly failing = new Gauge({
    name: 'roar_webhook_failing',
    help: '1 while the endpoint is being retried (its later events wait)',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly lagSeconds = new Gauge({
    name: 'roar_webhook_lag_seconds',
    help: 'Age of the newest event of the last delivered batch when it was acknowledged',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
