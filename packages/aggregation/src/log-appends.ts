import type { EventLog } from '@roar/log';

/**
 * What the aggregator appends to the durable event log: one `reactions.burst` per stream per
 * reaction window, and a `viewers.sample` per stream at most once per `sampleIntervalMs` (taken
 * when its figures are published, so at least once per refresh while it has viewers). Event ids
 * are derived from the stream and the window, so a partition's old and new owner appending the
 * same window during a handover store it once (the log's duplicate window).
 */
export class AggregatorLog {
  readonly #log: EventLog;
  readonly #sampleIntervalMs: number;

  constructor(log: EventLog, sampleIntervalMs: number) {
    this.#log = log;
    this.#sampleIntervalMs = sampleIntervalMs;
  }

  reactions(stream: string, counts: Record<string, number>, windowMs: number, now: number): void {
    this.#log.append(stream, {
      type: 'reactions.burst',
      id: `r.${stream}.${Math.floor(now / windowMs)}`,
      ts: now,
      data: { counts, windowMs },
    });
  }

  /** Appends a sample unless one was taken within the interval; returns when this one was. */
  sample(
    stream: string,
    figures: { total: number; peak: number; uniques: number },
    sampledAt: number,
    now: number,
  ): number {
    if (now - sampledAt < this.#sampleIntervalMs) return sampledAt;
    this.#log.append(stream, {
      type: 'viewers.sample',
      id: `v.${stream}.${Math.floor(now / this.#sampleIntervalMs)}`,
      ts: now,
      data: {
        total: figures.total,
        ...(figures.peak >= 0 ? { peak: figures.peak } : {}),
        uniques: figures.uniques,
      },
    });
    return now;
  }
}
