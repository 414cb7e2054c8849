import { Counter, Gauge, type Registry } from 'prom-client';
import { DROP_REASONS, type DropReason, type EventLog, type LogStats } from './log.js';

/**
 * The log's Prometheus series, read from `log.stats()` at scrape time (nothing on the append
 * path): `roar_log_connected`, `roar_log_appended_total`, `roar_log_stored_total`,
 * `roar_log_dropped_total{reason}`, `roar_log_queued`, `roar_log_reads_total`.
 * docs/operations.md lists them; infra/prometheus alerts on drops.
 */
export function registerLogMetrics(registry: Registry, log: EventLog): void {
  new Gauge({
    name: 'roar_log_connected',
    help: '1 while the durable event log can store events (0: live only, appends are dropped)',
    registers: [registry],
    collect() {
      this.set(log.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'roar_log_queued',
    help: 'Events waiting in the append queue',
    registers: [registry],
    collect() {
      this.set(log.stats().queued);
    },
  });
  counter(
    registry,
    log,
    'roar_log_appended_total',
    'Events given to the event log',
    (s) => s.appended,
  );
  counter(
    registry,
    log,
    'roar_log_stored_total',
    'Events the event log acknowledged as stored',
    (s) => s.stored,
  );
  counter(
    registry,
    log,
    'roar_log_reads_total',
    'Reads that reached the event log (replay buckets and deletion index refreshes)',
    (s) => s.reads,
  );
  const seen: Record<DropReason, number> = { queue_full: 0, unavailable: 0, failed: 0, closed: 0 };
  new Counter({
    name: 'roar_log_dropped_total',
    help: 'Events that could not be logged, by reason (queue_full, unavailable, failed, closed)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const { dropped } = log.stats();
      for (const reason of DROP_REASONS) {
        this.inc({ reason }, dropped[reason] - seen[reason]);
        seen[reason] = dropped[reason];
      }
    },
  });
}

/** A counter that follows one of the log's own counters. */
function counter(
  registry: Registry,
  log: EventLog,
  name: string,
  help: string,
  read: (s: LogStats) => number,
): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read(log.stats());
      this.inc(value - seen);
      seen = value;
    },
  });
}
