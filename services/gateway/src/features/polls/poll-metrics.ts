import { Counter } from 'prom-client';
import type { GatewayMetrics } from '../../base/metrics.js';

/** The polls feature's series, in the gateway's registry (docs/operations.md). */
export class PollMetrics {
  readonly votes: Counter<'result' | 'reason'>;
  readonly batches: Counter<'result'>;

  constructor(metrics: GatewayMetrics) {
    this.votes = new Counter({
      name: 'roar_poll_votes_total',
      help: 'Votes by result: accepted (queued), rejected (reason: error code), and after the batch counted, changed, same, already_voted, late',
      labelNames: ['result', 'reason'] as const,
      registers: [metrics.registry],
    });
    this.batches = new Counter({
      name: 'roar_poll_batches_total',
      help: 'Vote batches sent to the store (one command each), by result: ok, closed, failed',
      labelNames: ['result'] as const,
      registers: [metrics.registry],
    });
  }
}
