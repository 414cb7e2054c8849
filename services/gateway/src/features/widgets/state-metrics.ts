import { Counter, type Registry } from 'prom-client';

/** The live-state feature's metrics, in the gateway's registry (docs/operations.md). */
export class StateMetrics {
  readonly writes: Counter<'result'>;
  readonly updatesIn: Counter;
  readonly loadFailures: Counter;

  constructor(registry: Registry) {
    this.writes = new Counter({
      name: 'roar_state_writes_total',
      help: 'Live-state writes by result (written, replayed, or the error code)',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    this.updatesIn = new Counter({
      name: 'roar_state_updates_in_total',
      help: 'Live-state changes heard on the bus that were new to this gateway (conflated per tick before fanout)',
      registers: [registry],
    });
    this.loadFailures = new Counter({
      name: 'roar_state_load_failures_total',
      help: 'Live-state loads from the store that failed (viewers join without a snapshot; retried every 10 s)',
      registers: [registry],
    });
  }
}
