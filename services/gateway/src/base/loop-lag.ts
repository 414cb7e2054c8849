import { Gauge, type Registry } from 'prom-client';
import type { LoopDelay } from './beat.js';

/** prom-client's names for the event-loop lag, kept so dashboards and alerts read on. */
const LAG = 'nodejs_eventloop_lag_seconds';
const STATS = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
} as const;

/**
 * prom-client's `collectDefaultMetrics` measures the loop lag with a `monitorEventLoopDelay` of
 * its own, a native timer that woke an idle gateway 50 times a second at the precision we gave
 * it; it has no switch to turn that off. It is given a precision so long its timer never fires
 * (`NEVER_MS`), and its `nodejs_eventloop_lag_*` series are replaced by these, read from the
 * gateway's beat: how late each of its wake-ups came since the last scrape (0 when none).
 * `nodejs_eventloop_lag_seconds` is measured as prom-client does, by a `setImmediate` at scrape.
 */
export function replaceLoopLag(registry: Registry, delay: LoopDelay): void {
  registry.removeSingleMetric(LAG);
  for (const stat of Object.keys(STATS))
    registry.removeSingleMetric(`nodejs_eventloop_lag_${stat}_seconds`);
  const lag = new Gauge({
    name: LAG,
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
      const some = delay.count > 0;
      const s = (ns: number): number => (some ? ns / 1e9 : 0);
      gauges.min.set(s(delay.min));
      gauges.max.set(s(delay.max));
      gauges.mean.set(s(delay.mean));
      gauges.stddev.set(s(delay.stddev));
      gauges.p50.set(s(delay.percentile(50)));
      gauges.p90.set(s(delay.percentile(90)));
      gauges.p99.set(s(delay.percentile(99)));
      delay.reset();
    },
  });
  // After `lag`: a registry reads its metrics in order, and `lag`'s collect sets these.
  const gauges = Object.fromEntries(
    Object.entries(STATS).map(([stat, help]) => [
      stat,
      new Gauge({ name: `nodejs_eventloop_lag_${stat}_seconds`, help, registers: [registry] }),
    ]),
  ) as Record<keyof typeof STATS, Gauge>;
}

/** A precision for prom-client's own lag monitor that never fires (about 24.8 days). */
export const NEVER_MS = 2 ** 31 - 1;
