import { Counter, type Registry } from 'prom-client';

/** The Q&A's own series, in the gateway's registry (names in docs/operations.md). */
export class QaMetrics {
  readonly requests: Counter<'kind' | 'result' | 'reason'>;
  readonly storeErrors: Counter<'op'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'roar_qa_requests_total',
      help: 'Q&A requests (ask, upvote, mod) by result (accepted, rejected) and error code',
      labelNames: ['kind', 'result', 'reason'] as const,
      registers: [registry],
    });
    this.storeErrors = new Counter({
      name: 'roar_qa_store_errors_total',
      help: 'Failed Q&A store reads in the background, by operation (board)',
      labelNames: ['op'] as const,
      registers: [registry],
    });
  }
}
