import type { Bus, Subjects } from '@roar/bus';
import type { EventLog } from '@roar/log';
import { TOTALS_REFRESH_INTERVALS } from '@roar/protocol';
import type { Store } from '@roar/store';
import { SUSPECT_INTERVALS } from './peak-window.js';

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
  /**
   * Ticks further apart than this mean this process was paused (SIGSTOP, a GC or VM stall): the
   * pause is not held against the gateways, and owned partitions publish and store nothing until
   * fresh reports have come in and, for a leased partition, the lease has been confirmed
   * (`confirm`). Default `reportIntervalMs`.
   */
  stallMs?: number;
  /**
   * A stream with viewers is published again when nothing changed for this long, so gateways can
   * tell a silent owner from a quiet stream. Default `TOTALS_REFRESH_INTERVALS` × publishIntervalMs.
   */
  refreshMs?: number;
  /** A peak is the lowest total of a clean window this long (see peak-window.ts). Default 2.5 × reportIntervalMs. */
  peakHoldMs?: number;
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
  /** Where reaction bursts and viewer samples are appended; none when undefined. */
  eventLog?: EventLog | undefined;
  /** A stream's viewer figures are appended to `eventLog` at most this often. Default 10,000. */
  sampleIntervalMs?: number;
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
  stallMs: number;
  refreshMs: number;
  peakHoldMs: number;
  forgetAfterMs: number;
  now: () => number;
  onError: (error: unknown, where: string) => void;
  onPublished: (lagMs: number) => void;
  eventLog: EventLog | undefined;
  sampleIntervalMs: number;
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
    stallMs: positive('stallMs', options.stallMs ?? reportIntervalMs),
    refreshMs: positive(
      'refreshMs',
      options.refreshMs ?? TOTALS_REFRESH_INTERVALS * publishIntervalMs,
    ),
    // Longer than a doubled total can go unsuspected (SUSPECT_INTERVALS report intervals).
    peakHoldMs: positive(
      'peakHoldMs',
      options.peakHoldMs ?? (SUSPECT_INTERVALS + 0.5) * reportIntervalMs,
    ),
    forgetAfterMs: nonNegative('forgetAfterMs', options.forgetAfterMs ?? 10 * publishIntervalMs),
    now: options.now ?? (() => Date.now()),
    onError: options.onError ?? (() => undefined),
    onPublished: options.onPublished ?? (() => undefined),
    eventLog: options.eventLog,
    sampleIntervalMs: positive('sampleIntervalMs', options.sampleIntervalMs ?? 10_000),
  };
}
