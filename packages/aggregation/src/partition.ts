import type { GatewayReport } from '@roar/protocol';
import {
  applyChat,
  applyCounts,
  dropCounts,
  GatewayCounts,
  installList,
} from './gateway-counts.js';
import { ReactionWindow } from './reaction-window.js';
import { roundRate } from './rate-meter.js';
import { RecordQueue } from './record-queue.js';
import { settlePeak, SUSPECT_INTERVALS } from './peak-window.js';
import type { AggregatorStats } from './stats.js';
import { StreamTable, type StreamRecord } from './stream-table.js';

/**
 * A seq this far below the last one seen cannot be reordering (the bus keeps a publisher's order)
 * and is taken as the gateway having restarted under the same id.
 */
const RESTART_GAP = 10;

/** What a partition hands to the store side; kept as callbacks so counting never waits on I/O. */
export interface PartitionHooks {
  /** A stream was seen for the first time (load its stored figures). */
  onNewStream(record: StreamRecord, table: StreamTable): void;
  /** Viewer identities for a stream's unique counter. */
  onIds(record: StreamRecord, table: StreamTable, ids: readonly string[]): void;
  /** A gateway added identities to the stream's unique counter itself: read the count again. */
  onCounted(record: StreamRecord, table: StreamTable): void;
}

/** Figures of one stream, as the admin stats API shows them. */
export interface StreamSnapshot {
  total: number;
  uniques: number;
  peak: number;
  /** Live gateways whose current stream list holds the stream. */
  gateways: number;
  /** Chat messages per second over every gateway, smoothed (see `RateMeter`); 0.01 resolution. */
  chatPerS: number;
  /** Reactions per second (every emoji together), smoothed likewise. */
  reactionsPerS: number;
}

/** The counting state of one owned partition: its streams, its gateways and its reaction window. */
export class Partition {
  readonly table: StreamTable;
  readonly gateways = new Map<string, GatewayCounts>();
  readonly reactions: ReactionWindow;
  /** Streams to publish at the next tick (or once their stored figures load); each at most once. */
  due: StreamRecord[] = [];
  /** Streams whose only change is their uniques estimate: they wait (see TotalsPublisher). */
  lateUniques: StreamRecord[] = [];
  /** Streams published within the last interval, oldest first (`record.cooling`). */
  readonly cooling = new RecordQueue();
  /** False until the warm-up after `own()` has passed. */
  warm = false;
  closed = false;
  /**
   * After a stall of this process: true until the partition's lease is confirmed again (leased
   * partitions only), and nothing is published or stored before `holdUntil` either.
   */
  awaitingLease = false;
  holdUntil = Number.NEGATIVE_INFINITY;
  /** The last moment a sum could have counted a gateway twice or missed one (peak-window.ts). */
  cleanSince: number;
  /** Published records and when, oldest first, for the refresh of unchanged streams. */
  readonly published: [record: StreamRecord, at: number][] = [];
  publishedHead = 0;
  lastSweepAt: number;
  /** When the rates pass last ran (`RateMeter`). */
  lastRatesAt: number;
  readonly #stats: AggregatorStats;
  readonly #hooks: PartitionHooks;

  /**
   * `epoch`: the lease epoch this partition is owned under, sent with every publish and store
   * write (0: not leased, unfenced).
   */
  constructor(
    readonly id: number,
    readonly ownedAt: number,
    stats: AggregatorStats,
    hooks: PartitionHooks,
    readonly epoch = 0,
  ) {
    this.cleanSince = ownedAt;
    this.#stats = stats;
    this.#hooks = hooks;
    this.table = new StreamTable((record) => hooks.onNewStream(record, this.table));
    this.reactions = new ReactionWindow(stats);
    this.lastSweepAt = ownedAt;
    this.lastRatesAt = ownedAt;
  }

  /** Applies one decoded report. Never throws on bad content: it is counted and skipped. */
  ingest(report: GatewayReport, now: number): void {
    const stats = this.#stats;
    stats.reports++;
    let gw = this.gateways.get(report.gateway);
    if (gw && report.seq <= gw.seq) {
      if (report.seq + RESTART_GAP >= gw.seq) {
        stats.staleReports++;
        return;
      }
      stats.gatewayRestarts++;
      this.cleanSince = now;
      this.#remove(gw);
      gw = undefined;
    }
    if (report.bye) {
      if (gw) this.#remove(gw);
      stats.byes++;
      return;
    }
    if (gw) gw.touch(report.seq, now, report.intervalMs);
    else {
      gw = new GatewayCounts(report.gateway, report.seq, now, report.intervalMs);
      this.gateways.set(gw.id, gw);
    }
    if (report.streams && !(gw.hasList && gw.dict === report.dict)) {
      if (!installList(gw, this.table, report.dict, report.streams, now)) {
        stats.badReports++;
        return;
      }
    }
    if (!gw.hasList || gw.dict !== report.dict) {
      // Keep the gateway's previous counts: stale by a report or two, but closer than nothing.
      stats.unknownDict++;
      return;
    }
    const chat = report.chat;
    if (
      report.counts.length !== gw.slots.length ||
      (chat !== undefined && chat.length !== report.counts.length)
    ) {
      stats.badReports++;
      return;
    }
    applyCounts(gw, this.table, report.counts);
    stats.entries += report.counts.length;
    if (chat !== undefined) stats.chatMessages += applyChat(gw, this.table, chat);
    if (report.uniques) this.#ingestIds(gw, report.uniques);
    if (report.counted) this.#ingestCounted(gw, report.counted);
  }

  /**
   * Drops gateways silent for more than `expiryIntervals` of their own interval; one silent for
   * more than `SUSPECT_INTERVALS` makes the sums unclean for peaks (it may have crashed, with its
   * viewers already counted elsewhere).
   */
  expire(now: number, expiryIntervals: number): void {
    if (now < this.holdUntil) return;
    for (const gw of this.gateways.values()) {
      const silent = now - gw.lastSeen;
      if (silent > SUSPECT_INTERVALS * gw.intervalMs) this.cleanSince = now;
      if (silent > expiryIntervals * gw.intervalMs) {
        this.#remove(gw);
        this.#stats.expiredGateways++;
      }
    }
  }

  /**
   * This process was paused (its ticks stopped): the gateways were not silent, we were deaf, and
   * their reports of the pause are queued behind this tick. So nobody is expired, and nothing is
   * published or stored, until `holdMs` of fresh reports have been read; when `leased`, not until
   * the lease is confirmed either. Each stall holds for `holdMs` from itself, so a dead gateway is
   * expired at most `holdMs` after the last stall.
   */
  stalled(now: number, holdMs: number, leased: boolean): void {
    this.holdUntil = now + holdMs;
    this.cleanSince = now;
    if (leased) this.awaitingLease = true;
  }

  /** True while the partition must not publish or store (warm-up, or a stall not yet cleared). */
  held(now: number): boolean {
    return !this.warm || this.awaitingLease || now < this.holdUntil;
  }

  /**
   * Closes due peak windows of every stream (see peak-window.ts); returns the records whose peak
   * rose. O(streams); run once per publish interval.
   */
  settlePeaks(now: number, holdMs: number): StreamRecord[] {
    const raised: StreamRecord[] = [];
    const { totals } = this.table;
    for (const r of this.table.records()) {
      if (settlePeak(r, totals[r.slot]!, now, this.cleanSince, holdMs)) raised.push(r);
    }
    return raised;
  }

  /**
   * Frees streams that sit at zero, published as zero (or never published), held by no gateway
   * and waited on by no store call, continuously for `forgetAfterMs`.
   */
  sweep(now: number, forgetAfterMs: number): void {
    this.lastSweepAt = now;
    const { totals, refs, dirty, inRated } = this.table;
    for (const r of this.table.records()) {
      const s = r.slot;
      const idle =
        totals[s] === 0 &&
        refs[s] === 0 &&
        dirty[s] === 0 &&
        inRated[s] === 0 &&
        !r.pending &&
        !r.cooling &&
        r.storeRefs === 0 &&
        r.publishedTotal <= 0;
      if (!idle) r.idleSince = Number.NaN;
      else if (Number.isNaN(r.idleSince)) r.idleSince = now;
      if (idle && now - r.idleSince >= forgetAfterMs) {
        this.table.forget(r);
        this.#stats.forgottenStreams++;
      }
    }
  }

  snapshot(stream: string): StreamSnapshot | undefined {
    const r = this.table.get(stream);
    if (!r) return undefined;
    const total = this.table.totals[r.slot]!;
    return {
      total,
      uniques: r.uniques,
      peak: r.peak,
      gateways: this.table.refs[r.slot]!,
      chatPerS: roundRate(r.chatRate),
      reactionsPerS: roundRate(r.reactionRate),
    };
  }

  /**
   * Counts one reaction window's sum for a stream towards its reactions rate. A stream no gateway
   * has reported viewers for is not held here and is skipped, rather than created for a rate.
   */
  addReactions(stream: string, reactions: number): void {
    const r = this.table.get(stream);
    if (!r) return;
    r.reactionsSince += reactions;
    this.table.markRated(r.slot);
  }

  /** Stops counting; late store results for its streams are dropped. */
  close(): void {
    this.closed = true;
    this.table.kill();
  }

  #remove(gw: GatewayCounts): void {
    dropCounts(gw, this.table);
    this.gateways.delete(gw.id);
  }

  #ingestCounted(gw: GatewayCounts, counted: readonly number[]): void {
    for (const index of counted) {
      const slot = gw.slots[index];
      const record = slot === undefined ? undefined : this.table.record(slot);
      if (!record) {
        this.#stats.badReports++;
        continue;
      }
      this.#hooks.onCounted(record, this.table);
    }
  }

  #ingestIds(gw: GatewayCounts, uniques: readonly (readonly [number, string[]])[]): void {
    for (const entry of uniques) {
      const index: unknown = Array.isArray(entry) ? entry[0] : undefined;
      const ids: unknown = Array.isArray(entry) ? entry[1] : undefined;
      const slot = typeof index === 'number' ? gw.slots[index] : undefined;
      const record = slot === undefined ? undefined : this.table.record(slot);
      if (!record || !Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        this.#stats.badReports++;
        continue;
      }
      this.#stats.uniqueIds += ids.length;
      this.#hooks.onIds(record, this.table, ids as string[]);
    }
  }
}
