import type { Logger } from '@roar/runtime';

/**
 * Logs survived errors (store failures, publish failures) at most once per `everyMs` per place,
 * with how many were left out since. During a Redis outage the aggregator fails a store batch on
 * every tick; one line per tick would bury everything else, and the counts are in /metrics.
 */
export function throttledErrorLog(
  log: Logger,
  msg: string,
  everyMs = 5000,
  now: () => number = Date.now,
): (error: unknown, where: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (error, where) => {
    const t = now();
    const seen = last.get(where);
    if (seen && t - seen.at < everyMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    last.set(where, { at: t, suppressed: 0 });
    log.warn(msg, { where, error, ...(suppressed > 0 ? { suppressed } : {}) });
  };
}
