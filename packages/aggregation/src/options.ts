import type { Bus, Subjects } from '@roar/bus';
import type { Store } from '@roar/store';

/** Everything an `Aggregator` needs; only `bus`, `store`, `subjects` and `partitions` are required. */
export interface AggregatorOptions {
  bus: Bus;
  store: Store;
  subjects: Subjects;
  /** Number of partitions; must equal the gateways' setting. */
  partitions: number;
  /** The gateways' report interval, for the default warm-up. Default 1000. */
  reportIntervalMs?: number;
  /** A gateway silent for more than this many of its own intervals is expired. Default 3. */
  expiryIntervals?: number;
  /** Most one viewers publish (and one uniques count) per stream per this. Default 1000. */
  publishIntervalMs?: number;
  /** Reaction bursts are summed and published once per this window. Default 250. */
  reactionWindowMs?: number;
  /** After `own()`, totals wait this long so every gateway's stream list has arrived. */
  warmupMs?: number;
  /** Period of the timer `start()` runs. Default 50. */
  tickMs?: number;
  /** A stream at 0 that nothing refers to is forgotten after this. Default 10 × publishIntervalMs. */
  forgetAfterMs?: number;
  now?: () => number;
  /**
   * Told about failures that are counted and survived: store errors (at most one call per store
   * batch), bus publish errors and bugs in report handling. Defaults to nothing.
   */
  onError?: (error: unknown, where: string) => void; /**
   * Told, for each viewers event published, how long its change waited: from the tick that first
   * saw the stream's sum differ from the published one to the publish (the throttle included).
   * Defaults to nothing.
   */
  onPublished?: (lagMs: number) => void;
}

/** `AggregatorOptions` with every default applied and every value checked. */
export interface AggregatorConfig {
  bus: Bus;
  store: Store;
  subjects: Subjects;
  partitions: number;
  reportIntervalMs: number;
  expiryIntervals: number;
  publishIntervalMs: number;
  reactionWindowMs: number;
  warmupMs: number;
  tickMs: number;
  forgetAfterMs: number;
  now: () => number;
  onError: (error: unknown, where: string) => void;
  onPublished: (lagMs: number) => void;
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `aggregator option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`aggregator option ${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

/** Applies the defaults (all in this one place) and rejects bad values, naming the option. */
export function aggregatorConfig(options: AggregatorOptions): AggregatorConfig {
  const reportIntervalMs = positive('reportIntervalMs', options.reportIntervalMs ?? 1000);
  const expiryIntervals = positive('expiryIntervals', options.expiryIntervals ?? 3);
  const publishIntervalMs = positive('publishIntervalMs', options.publishIntervalMs ?? 1000);
  return {
    bus: options.bus,
    store: options.store,
    subjects: options.subjects,
    partitions: positive('partitions', options.partitions, true),
    reportIntervalMs,
    expiryIntervals,
    publishIntervalMs,
    reactionWindowMs: positive('reactionWindowMs', options.reactionWindowMs ?? 250),
    warmupMs: nonNegative('warmupMs', options.warmupMs ?? expiryIntervals * reportIntervalMs),
    tickMs: positive('tickMs', options.tickMs ?? 50),
    forgetAfterMs: nonNegative('forgetAfterMs', options.forgetAfterMs ?? 10 * publishIntervalMs),
    now: options.now ?? (() => Date.now()),
    onError: options.onError ?? (() => undefined),
    onPublished: options.onPublished ?? (() => undefined),
  };
}
