import { partitionOf, type Subscription } from '@roar/bus';
import {
  decodeReactionReport,
  decodeReport,
  pack,
  type GatewayReport,
  type ReactionReport,
  type ReactionsEvent,
} from '@roar/protocol';
import { AggregatorLog } from './log-appends.js';
import { aggregatorConfig, type AggregatorConfig, type AggregatorOptions } from './options.js';
import { Partition, type StreamSnapshot } from './partition.js';
import { RateMeter } from './rate-meter.js';
import { createStats, type AggregatorStats } from './stats.js';
import { StoreWriter } from './store-writer.js';
import { TotalsPublisher } from './totals-publisher.js';

interface Owned {
  part: Partition;
  subs: Subscription[];
}

/**
 * Sums the gateways' periodic reports into per-stream totals, unique viewers, peaks and reaction
 * bursts, for the partitions it owns, and publishes them on each stream's subjects.
 *
 * Guarantees:
 * - a total is the sum of the latest counts of every live gateway; a gateway is live until it says
 *   goodbye or stays silent for more than `expiryIntervals` of its own report interval;
 * - a stream's viewers event is published at most once per `publishIntervalMs`, when its figures
 *   changed or `refreshMs` after the last one while it has viewers, not before `warmupMs` after
 *   `own()` (and then every stream once), each carrying the partition's lease epoch;
 * - after a pause of this process longer than `stallMs` nothing is published or stored for a
 *   partition until 1.5 report intervals of fresh reports were read and, for a leased partition,
 *   `confirm` has seen the lease renewed; the pause is not held against the gateways;
 * - the peak is the lowest total of a clean window (see peak-window.ts), never a raw total;
 * - reactions are published as one event per stream per `reactionWindowMs`, summed over gateways;
 * - chat messages and reactions per second are measured per stream every `publishIntervalMs`
 *   (exponentially smoothed, decaying to 0 when nothing comes), shown by `snapshot()` and saved
 *   with `store.stats.saveRates` at most once per interval per stream, when they changed by about
 *   10% or every 5 s while non-zero; they are never published on the bus;
 * - nothing received from the bus and no store failure throws out of it: both are counted in
 *   `stats` (and passed to `onError`), and counting and publishing carry on without the store;
 * - all work happens in bus handlers and in `tick()`; nothing runs after `stop()`.
 */
export class Aggregator {
  /** Counters for metrics; see `AggregatorStats`. */
  readonly stats: AggregatorStats = createStats();
  readonly #cfg: AggregatorConfig;
  readonly #owned = new Map<number, Owned>();
  readonly #writer: StoreWriter;
  readonly #publisher: TotalsPublisher;
  readonly #meter: RateMeter;
  readonly #log: AggregatorLog | undefined;
  #lastReactionFlush: number;
  #lastTickAt: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: AggregatorOptions) {
    this.#cfg = aggregatorConfig(options);
    const cfg = this.#cfg;
    this.#writer = new StoreWriter(cfg.store, this.stats, cfg.publishIntervalMs, cfg.onError);
    this.#log = cfg.eventLog && new AggregatorLog(cfg.eventLog, cfg.sampleIntervalMs);
    this.#publisher = new TotalsPublisher(cfg, this.stats, this.#writer, this.#log);
    this.#meter = new RateMeter(this.#writer);
    this.#lastReactionFlush = cfg.now();
    this.#lastTickAt = cfg.now();
  }

  /** Partitions owned now, in ascending order. */
  get partitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /**
   * Starts consuming partition `p`, owned under lease `epoch` (0: not leased). Its totals are
   * published only after `warmupMs`, then every stream once and changes from then on, each event
   * and store write carrying the epoch. Idempotent for the same epoch; a different epoch starts
   * the partition afresh (the lease changed hands in between), keeping only the peaks it had
   * settled: each was a total that held through a clean window, true whoever owns the partition
   * now, and Redis may have lost the stored ones (an epoch changes when Redis restarts).
   */
  own(p: number, epoch = 0): void {
    const current = this.#owned.get(p);
    if (current && current.part.epoch === epoch) return;
    const peaks = new Map<string, number>();
    if (current) {
      for (const r of current.part.table.records()) if (r.peak > 0) peaks.set(r.name, r.peak);
      this.disown(p);
    }
    if (!Number.isInteger(p) || p < 0 || p >= this.#cfg.partitions) {
      throw new RangeError(`partition ${p} is outside 0..${this.#cfg.partitions - 1}`);
    }
    const { bus, subjects } = this.#cfg;
    const part = new Partition(
      p,
      this.#cfg.now(),
      this.stats,
      {
        onNewStream: (record, table) => {
          const carried = peaks.get(record.name);
          if (carried !== undefined) {
            record.peak = Math.max(record.peak, carried);
            peaks.delete(record.name);
          }
          this.#writer.loadStored(record, table);
        },
        onIds: (record, table, ids) => this.#writer.addIds(record, table, ids),
        onCounted: (record, table) => this.#writer.wantCount(record, table),
      },
      epoch,
    );
    const subs = [
      bus.subscribe(subjects.report(p), (payload) => this.#onReport(part, payload)),
      bus.subscribe(subjects.reactionReport(p), (payload) => this.#onReactions(part, payload)),
    ];
    this.#owned.set(p, { part, subs });
  }

  /**
   * The lease of `p` was renewed under `epoch`: clears the hold a stall put on it, or, when the
   * epoch changed (the lease ran out and was taken again), starts the partition afresh.
   */
  confirm(p: number, epoch: number): void {
    const owned = this.#owned.get(p);
    if (!owned) return;
    if (owned.part.epoch !== epoch) this.own(p, epoch);
    else owned.part.awaitingLease = false;
  }

  /** The lease epoch partition `p` is owned under; undefined when not owned. */
  epochOf(p: number): number | undefined {
    return this.#owned.get(p)?.part.epoch;
  }

  /** Stops consuming and publishing partition `p` and frees its state at once. Idempotent. */
  disown(p: number): void {
    const owned = this.#owned.get(p);
    if (!owned) return;
    this.#owned.delete(p);
    for (const sub of owned.subs) sub.unsubscribe();
    owned.part.close();
  }

  /**
   * Applies one decoded report to an owned partition: the bus handler's path after decoding,
   * open for replay tools and benchmarks. Reports for partitions not owned are ignored. Keeps
   * `report.counts` (as the next report's baseline), so the caller must not reuse that array;
   * `report.chat` is only read.
   */
  ingest(partition: number, report: GatewayReport): void {
    const owned = this.#owned.get(partition);
    if (owned) owned.part.ingest(report, this.#cfg.now());
  }

  /**
   * One step of the aggregator's clock: expires silent gateways, publishes due totals, flushes the
   * reaction window when due, measures rates when due, forgets idle streams and starts the batched
   * store writes. `start()` calls it every `tickMs`; tests call it directly with an injected `now`.
   */
  tick(): void {
    const cfg = this.#cfg;
    const now = cfg.now();
    // Timers run before I/O: after a pause this tick comes before the reports that queued up
    // meanwhile, and without this it would expire every gateway and publish zeros.
    const paused = now - this.#lastTickAt;
    this.#lastTickAt = now;
    if (paused > cfg.stallMs) {
      this.stats.stalls++;
      const holdMs = 1.5 * cfg.reportIntervalMs;
      for (const { part } of this.#owned.values()) {
        part.stalled(now, holdMs, part.epoch > 0);
      }
    }
    const flushReactions = now - this.#lastReactionFlush >= cfg.reactionWindowMs;
    if (flushReactions) this.#lastReactionFlush = now;
    let streams = 0;
    let gateways = 0;
    for (const { part } of this.#owned.values()) {
      part.expire(now, cfg.expiryIntervals);
      this.#publisher.run(part, now);
      if (flushReactions) this.#publishReactions(part);
      if (now - part.lastRatesAt >= cfg.publishIntervalMs) this.#meter.run(part, now);
      if (now - part.lastSweepAt >= cfg.publishIntervalMs) {
        if (!part.held(now)) this.#settlePeaks(part, now);
        part.sweep(now, cfg.forgetAfterMs);
      }
      streams += part.table.size;
      gateways += part.gateways.size;
    }
    this.#writer.flush(now);
    this.stats.streams = streams;
    this.stats.gateways = gateways;
  }

  /** How often `tick()` should run (`start()` runs it this often). */
  get tickMs(): number {
    return this.#cfg.tickMs;
  }

  /**
   * `tick()` with a failure counted (`stats.handlerErrors`) and reported (`onError`), never
   * thrown: what `start()` runs, and what a host runs every `tickMs` on a timer of its own instead
   * (the embedded gateway, on its beat, so one wake-up serves both).
   */
  runTick(): void {
    try {
      this.tick();
    } catch (error) {
      this.stats.handlerErrors++;
      this.#cfg.onError(error, 'tick');
    }
  }

  /** Runs `tick()` every `tickMs` until `stop()`. Idempotent. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.runTick(), this.#cfg.tickMs);
  }

  /** Stops the timer and disowns every partition. Store calls already started may still settle. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const p of [...this.#owned.keys()]) this.disown(p);
  }

  /** The current figures of a stream of an owned partition; undefined when not held here. */
  snapshot(stream: string): StreamSnapshot | undefined {
    return this.#owned.get(partitionOf(stream, this.#cfg.partitions))?.part.snapshot(stream);
  }

  /** Raises peaks from clean windows; a raised peak is stored and published (peak-window.ts). */
  #settlePeaks(part: Partition, now: number): void {
    for (const record of part.settlePeaks(now, this.#cfg.peakHoldMs))
      part.table.markDirty(record.slot);
    const { totals } = part.table;
    for (const record of part.table.records()) {
      // Every pass, so a raise the store failed is tried again.
      if (
        record.peak > record.persistedPeak &&
        now - record.lastPeakSaveAt >= this.#cfg.publishIntervalMs
      ) {
        this.#writer.raisePeak(record, part.epoch);
      }
      // Gateways add identities to the store themselves and say so in their next report; should
      // that report be lost (no owner at the time, a gateway gone), this catches the count up.
      // (A new stream's count is read with its stored figures, hence createdAt.)
      const countedAt = Math.max(record.lastCountAt, record.createdAt);
      if (totals[record.slot]! > 0 && now - countedAt >= this.#cfg.refreshMs) {
        this.#writer.wantCount(record, part.table);
      }
    }
  }

  #onReport(part: Partition, payload: Uint8Array): void {
    if (part.closed) return;
    let report: GatewayReport;
    try {
      report = decodeReport(payload);
    } catch {
      this.stats.decodeErrors++;
      return;
    }
    this.#guard('report', () => part.ingest(report, this.#cfg.now()));
  }

  #onReactions(part: Partition, payload: Uint8Array): void {
    if (part.closed) return;
    let report: ReactionReport;
    try {
      report = decodeReactionReport(payload);
    } catch {
      this.stats.decodeErrors++;
      return;
    }
    this.stats.reactionReports++;
    this.#guard('reactions', () => part.reactions.add(report));
  }

  #publishReactions(part: Partition): void {
    const { bus, subjects, reactionWindowMs } = this.#cfg;
    for (const [stream, sums] of part.reactions.take()) {
      let reactions = 0;
      for (const n of sums.values()) reactions += n;
      part.addReactions(stream, reactions);
      const event: ReactionsEvent = {
        type: 'reactions',
        counts: Object.fromEntries(sums),
        windowMs: reactionWindowMs,
      };
      try {
        bus.publish(subjects.stream(stream, 'reactions'), pack(event));
        this.stats.reactionBursts++;
        this.#log?.reactions(stream, event.counts, reactionWindowMs, this.#cfg.now());
      } catch (error) {
        this.stats.publishErrors++;
        this.#cfg.onError(error, 'bus.publish');
      }
    }
  }

  /** A bug in handling one message must cost that message, not the subscription. */
  #guard(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.stats.handlerErrors++;
      this.#cfg.onError(error, where);
    }
  }
}
