import type { ReactionReport } from '@roar/protocol';
import type { AggregatorStats } from './stats.js';

/** Bounds one window's memory whatever the gateways send. */
const MAX_STREAMS = 100_000;
const MAX_EMOJI_PER_STREAM = 64;
const MAX_EMOJI_LENGTH = 32;
const MAX_COUNT = 1_000_000_000;

/**
 * Reaction counts of the current window for one partition, summed over every gateway that
 * reported: the unit of publishing is one burst per stream per window.
 */
export class ReactionWindow {
  #sums = new Map<string, Map<string, number>>();
  readonly #stats: AggregatorStats;

  constructor(stats: AggregatorStats) {
    this.#stats = stats;
  }

  get size(): number {
    return this.#sums.size;
  }

  /** Adds one gateway's report. Entries with bad values are counted in `badReports` and skipped. */
  add(report: ReactionReport): void {
    const n = Math.min(report.streams.length, report.counts.length);
    for (let i = 0; i < n; i++) {
      const stream: unknown = report.streams[i];
      const counts: unknown = report.counts[i];
      if (typeof stream !== 'string' || typeof counts !== 'object' || counts === null) {
        this.#stats.badReports++;
        continue;
      }
      let sums = this.#sums.get(stream);
      if (!sums) {
        if (this.#sums.size >= MAX_STREAMS) {
          this.#stats.reactionsDropped++;
          continue;
        }
        this.#sums.set(stream, (sums = new Map()));
      }
      this.#addCounts(sums, counts as Record<string, unknown>);
    }
  }

  /** The window's sums, leaving an empty window behind. */
  take(): Map<string, Map<string, number>> {
    const sums = this.#sums;
    this.#sums = new Map();
    return sums;
  }

  #addCounts(sums: Map<string, number>, counts: Record<string, unknown>): void {
    for (const [emoji, value] of Object.entries(counts)) {
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value <= 0 ||
        value > MAX_COUNT ||
        emoji.length > MAX_EMOJI_LENGTH
      ) {
        this.#stats.badReports++;
        continue;
      }
      const before = sums.get(emoji);
      if (before === undefined && sums.size >= MAX_EMOJI_PER_STREAM) {
        this.#stats.reactionsDropped++;
        continue;
      }
      sums.set(emoji, (before ?? 0) + value);
    }
  }
}
