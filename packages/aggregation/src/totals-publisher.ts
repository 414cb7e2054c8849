import type { Bus, Subjects } from '@roar/bus';
import { pack, viewersText, type ViewersEvent } from '@roar/protocol';
import type { Partition } from './partition.js';
import type { AggregatorStats } from './stats.js';
import type { StoreWriter } from './store-writer.js';
import type { StreamRecord } from './stream-table.js';

/**
 * A change of the uniques estimate alone waits this many publish intervals (or rides along with
 * the next change of the total): it arrives moments after each join, and publishing it at once
 * would take the throttle slot the next join's total needs, making counts look a second late.
 */
export const UNIQUES_ONLY_INTERVALS = 5;

export interface TotalsPublisherOptions {
  bus: Bus;
  subjects: Subjects;
  publishIntervalMs: number;
  warmupMs: number;
  onError: (error: unknown, where: string) => void;
  onPublished: (lagMs: number) => void;
}

/**
 * Turns changed sums into viewers events, throttled per stream: the first change after a quiet
 * interval goes out on the next tick (leading edge), later ones wait until the interval has passed
 * and go out as one (trailing edge). A stream whose figures equal what was last published is not
 * published at all.
 */
export class TotalsPublisher {
  readonly #o: TotalsPublisherOptions;
  readonly #stats: AggregatorStats;
  readonly #writer: StoreWriter;

  constructor(options: TotalsPublisherOptions, stats: AggregatorStats, writer: StoreWriter) {
    this.#o = options;
    this.#stats = stats;
    this.#writer = writer;
  }

  /**
   * Publishes what is due in one partition at `now`. Costs O(streams changed + streams whose
   * interval ended), not O(streams): published streams wait in a FIFO ordered by publish time.
   */
  run(part: Partition, now: number): void {
    if (!part.warm) {
      // Until every gateway's list has had time to arrive, a sum may be missing whole gateways.
      if (now - part.ownedAt < this.#o.warmupMs) return;
      part.warm = true;
      for (const record of part.table.records()) this.#want(part, record, now);
    }
    const { table } = part;
    const queue = table.dirtyQueue;
    const uniquesWait = this.#o.publishIntervalMs * UNIQUES_ONLY_INTERVALS;
    for (let i = 0; i < queue.length; i++) {
      const slot = queue[i]!;
      table.dirty[slot] = 0;
      const record = table.record(slot);
      if (!record) continue;
      if (
        table.totals[slot] === record.publishedTotal &&
        now - record.lastPublishAt < uniquesWait
      ) {
        part.lateUniques.push(record);
        continue;
      }
      this.#want(part, record, now);
    }
    queue.length = 0;
    if (part.lateUniques.length > 0) {
      const waiting = part.lateUniques;
      part.lateUniques = [];
      for (const record of waiting) {
        if (!record.alive) continue;
        if (
          now - record.lastPublishAt >= uniquesWait ||
          part.table.totals[record.slot] !== record.publishedTotal
        ) {
          this.#want(part, record, now);
        } else {
          part.lateUniques.push(record);
        }
      }
    }
    const interval = this.#o.publishIntervalMs;
    for (let head = part.cooling.peek(); head; head = part.cooling.peek()) {
      if (head.alive && now - head.lastPublishAt < interval) break;
      part.cooling.shift();
      head.cooling = false;
      // Changed while cooling: this is the trailing edge.
      if (head.pending && head.alive) part.due.push(head);
    }
    const due = part.due;
    part.due = [];
    for (const record of due) {
      if (!record.alive) continue;
      // A restarted aggregator must not publish figures below the stored ones; wait, briefly.
      if (!record.loaded && now - record.createdAt < interval) {
        part.due.push(record);
        continue;
      }
      record.pending = false;
      if (this.#publish(part, record, now)) {
        record.cooling = true;
        part.cooling.push(record);
      }
    }
  }

  #want(part: Partition, record: StreamRecord, now: number): void {
    record.peak = Math.max(record.peak, part.table.totals[record.slot]!);
    if (record.pending) return;
    record.pending = true;
    record.changedAt = now;
    // A cooling record is picked up when its interval ends; any other one goes out now.
    if (!record.cooling) part.due.push(record);
  }

  /** Publishes the record's figures unless unchanged; true when published. */
  #publish(part: Partition, record: StreamRecord, now: number): boolean {
    const total = part.table.totals[record.slot]!;
    if (total === record.publishedTotal && record.uniques === record.publishedUniques) return false;
    const peak = Math.max(record.peak, total);
    const event: ViewersEvent = {
      type: 'viewers',
      total,
      text: viewersText(total),
      uniques: record.uniques,
      peak,
    };
    try {
      this.#o.bus.publish(this.#o.subjects.stream(record.name, 'viewers'), pack(event));
    } catch (error) {
      this.#stats.publishErrors++;
      this.#o.onError(error, 'bus.publish');
      return false;
    }
    this.#stats.publishes++;
    this.#o.onPublished(now - record.changedAt);
    record.lastPublishAt = now;
    record.publishedTotal = total;
    record.publishedUniques = record.uniques;
    this.#writer.saveTotals(record, { total, text: event.text, uniques: record.uniques, peak });
    if (peak > record.persistedPeak && now - record.lastPeakSaveAt >= this.#o.publishIntervalMs) {
      this.#writer.raisePeak(record);
    }
    return true;
  }
}
