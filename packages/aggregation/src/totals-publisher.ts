import type { Bus, Subjects } from '@roar/bus';
import { pack, viewersText, type ViewersEvent } from '@roar/protocol';
import type { Partition } from './partition.js';
import type { AggregatorStats } from './stats.js';
import type { StoreWriter } from './store-writer.js';
import type { StreamRecord } from './stream-table.js';
import { notePeakTotal } from './peak-window.js';
import type { AggregatorLog } from './log-appends.js';

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
  refreshMs: number;
  onError: (error: unknown, where: string) => void;
  onPublished: (lagMs: number) => void;
}

/**
 * Turns changed sums into viewers events, throttled per stream: the first change after a quiet
 * interval goes out on the next tick (leading edge), later ones wait until the interval has passed
 * and go out as one (trailing edge). A stream whose figures equal what was last published is not
 * published, except once per `refreshMs` while it has viewers (so gateways can tell a silent owner
 * from a quiet stream) and when the partition becomes warm (a new owner states every figure).
 * Every event carries the partition's lease epoch. Nothing is published while the partition is
 * held (warm-up, or after a stall until fresh reports and the lease are back).
 */
export class TotalsPublisher {
  readonly #o: TotalsPublisherOptions;
  readonly #stats: AggregatorStats;
  readonly #writer: StoreWriter;
  readonly #log: AggregatorLog | undefined;

  constructor(
    options: TotalsPublisherOptions,
    stats: AggregatorStats,
    writer: StoreWriter,
    log?: AggregatorLog,
  ) {
    this.#o = options;
    this.#stats = stats;
    this.#writer = writer;
    this.#log = log;
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
      part.cleanSince = now;
      for (const record of part.table.records()) {
        record.force = true;
        this.#want(part, record, now);
      }
    }
    // After a stall: changes wait in the dirty queue; nothing computed from the paused clock goes out.
    if (part.held(now)) return;
    const { table } = part;
    const queue = table.dirtyQueue;
    const uniquesWait = this.#o.publishIntervalMs * UNIQUES_ONLY_INTERVALS;
    for (let i = 0; i < queue.length; i++) {
      const slot = queue[i]!;
      table.dirty[slot] = 0;
      const record = table.record(slot);
      if (!record) continue;
      notePeakTotal(record, table.totals[slot]!);
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
    this.#refresh(part, now);
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

  /** Wants streams whose last publish is `refreshMs` old and which still have viewers. */
  #refresh(part: Partition, now: number): void {
    const list = part.published;
    const { totals, refs } = part.table;
    while (part.publishedHead < list.length) {
      const [record, at] = list[part.publishedHead]!;
      if (now - at < this.#o.refreshMs) break;
      list[part.publishedHead++] = undefined as never;
      // Published again since (a newer entry follows), forgotten, or nobody watching: skip.
      if (!record.alive || record.lastPublishAt !== at) continue;
      if (totals[record.slot] === 0 && refs[record.slot] === 0) continue;
      record.force = true;
      this.#stats.refreshes++;
      this.#want(part, record, now);
    }
    if (part.publishedHead >= 1024 && part.publishedHead * 2 >= list.length) {
      list.splice(0, part.publishedHead);
      part.publishedHead = 0;
    }
  }

  #want(part: Partition, record: StreamRecord, now: number): void {
    if (record.pending) return;
    record.pending = true;
    record.changedAt = now;
    // A cooling record is picked up when its interval ends; any other one goes out now.
    if (!record.cooling) part.due.push(record);
  }

  /** Publishes the record's figures unless unchanged (and not forced); true when published. */
  #publish(part: Partition, record: StreamRecord, now: number): boolean {
    const total = part.table.totals[record.slot]!;
    const peak = record.peak;
    if (
      !record.force &&
      total === record.publishedTotal &&
      record.uniques === record.publishedUniques &&
      peak === record.publishedPeak
    ) {
      return false;
    }
    record.force = false;
    const event: ViewersEvent = {
      type: 'viewers',
      total,
      text: viewersText(total),
      uniques: record.uniques,
      peak,
    };
    if (part.epoch > 0) event.epoch = part.epoch;
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
    record.publishedPeak = peak;
    part.published.push([record, now]);
    const totals = { total, text: event.text, uniques: record.uniques, peak };
    this.#writer.saveTotals(record, totals, part.epoch);
    if (this.#log) record.sampledAt = this.#log.sample(record.name, totals, record.sampledAt, now);
    return true;
  }
}
