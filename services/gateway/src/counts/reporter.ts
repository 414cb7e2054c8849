import type { Bus, Subjects } from '@roar/bus';
import {
  encodeReactionReport,
  encodeReport,
  REPORT_LIST_EVERY,
  type ReactionReport,
} from '@roar/protocol';
import type { StreamState } from '../streams/stream-state.js';

/**
 * A stream whose local count moved by at least this many viewers and this share of its last
 * reported count makes its partition report early (see `reportChanged`).
 */
export const EARLY_MIN_VIEWERS = 2;
export const EARLY_SHARE = 0.01;

interface PartitionDict {
  version: number;
  streams: string[];
  sinceSent: number;
  seq: number;
  lastSentAt: number;
}

export interface ReporterOptions {
  bus: Bus;
  subjects: Subjects;
  gatewayId: string;
  partitions: number;
  reportIntervalMs: number;
  /** Send the identities the gateway wrote to its store in reports too (`ROAR_UNIQUES_IN_REPORTS`). */
  uniquesInReports?: boolean;
}

/**
 * Sends this gateway's local counts to the aggregator: one report per partition per interval,
 * whatever the number of viewers, and reaction counts once per window. Stream ids travel only
 * when the set of streams changed (or every few reports), the counts as a packed array.
 *
 * A partition also reports early (`reportChanged`, at most once per `earlyGapMs`) when one of its
 * streams' counts moved by `EARLY_MIN_VIEWERS` and `EARLY_SHARE` since its last report: when
 * viewers move between gateways (a drain, a crash) the leaving and the arriving gateway then
 * report within about `earlyGapMs` of the move instead of up to a whole interval apart, which is
 * what kept the shown total off by the viewers moved per interval.
 */
export class Reporter {
  readonly #o: ReporterOptions;
  readonly #dicts = new Map<number, PartitionDict>();

  constructor(options: ReporterOptions) {
    this.#o = options;
  }

  /** Publishes one count report per partition that has streams (or had them last time). */
  reportCounts(states: Iterable<StreamState>, now: number, bye = false): void {
    for (const [partition, list] of this.#byPartition(states)) {
      this.#report(partition, list, now, bye);
    }
  }

  /**
   * Publishes a report now for each partition with a stream whose count moved enough since its
   * last report (see the class comment), unless that partition reported less than `earlyGapMs`
   * ago. Returns how many were sent.
   */
  reportChanged(states: Iterable<StreamState>, now: number, earlyGapMs: number): number {
    // Walked twice, and a registry hands out a one-shot iterator.
    const all = [...states];
    const moved = new Set<number>();
    for (const s of all) {
      const delta = Math.abs(s.viewers - s.counters.reportedViewers);
      if (delta >= EARLY_MIN_VIEWERS && delta >= EARLY_SHARE * s.counters.reportedViewers) {
        moved.add(s.partition);
      }
    }
    if (moved.size === 0) return 0;
    let sent = 0;
    for (const [partition, list] of this.#byPartition(all)) {
      if (!moved.has(partition)) continue;
      const dict = this.#dicts.get(partition);
      if (dict && now - dict.lastSentAt < earlyGapMs) continue;
      this.#report(partition, list, now, false);
      sent++;
    }
    return sent;
  }

  #byPartition(states: Iterable<StreamState>): Map<number, StreamState[]> {
    const byPartition = new Map<number, StreamState[]>();
    for (const s of states) {
      let list = byPartition.get(s.partition);
      if (!list) byPartition.set(s.partition, (list = []));
      list.push(s);
    }
    for (const partition of this.#dicts.keys())
      if (!byPartition.has(partition)) byPartition.set(partition, []);
    return byPartition;
  }

  #report(partition: number, list: StreamState[], now: number, bye: boolean): void {
    let dict = this.#dicts.get(partition);
    if (!dict) {
      dict = { version: 0, streams: [], sinceSent: 0, seq: 0, lastSentAt: 0 };
      this.#dicts.set(partition, dict);
    }
    const ids = list.map((s) => s.id);
    const changed =
      ids.length !== dict.streams.length || ids.some((id, i) => id !== dict.streams[i]);
    if (changed) {
      dict.version++;
      dict.streams = ids;
    }
    const sendList = changed || dict.sinceSent >= REPORT_LIST_EVERY - 1;
    dict.sinceSent = sendList ? 0 : dict.sinceSent + 1;

    const counts = new Uint32Array(list.length);
    const chat = new Uint32Array(list.length);
    // Identities go to the store from the gateway (IdentityWriter); the aggregator is only told
    // which streams' unique counts to read again.
    const counted: number[] = [];
    const uniques: [number, string[]][] = [];
    list.forEach((s, i) => {
      counts[i] = bye ? 0 : s.viewers;
      const taken = s.counters.takeReport(counts[i]!, now, this.#o.uniquesInReports === true);
      chat[i] = taken.chat;
      if (taken.counted) counted.push(i);
      if (taken.identities !== undefined) uniques.push([i, taken.identities]);
    });
    dict.lastSentAt = now;
    this.#o.bus.publish(
      this.#o.subjects.report(partition),
      encodeReport({
        gateway: this.#o.gatewayId,
        seq: ++dict.seq,
        intervalMs: this.#o.reportIntervalMs,
        dict: dict.version,
        ...(sendList ? { streams: ids } : {}),
        counts,
        chat,
        ...(counted.length > 0 ? { counted } : {}),
        ...(uniques.length > 0 ? { uniques } : {}),
        ...(bye ? { bye: true } : {}),
      }),
    );
    // A partition with no streams left was reported empty once; stop reporting it.
    if (list.length === 0) this.#dicts.delete(partition);
  }

  /** Publishes the reactions counted since the last call, one message per partition. */
  reportReactions(states: Iterable<StreamState>): void {
    const byPartition = new Map<number, ReactionReport>();
    for (const s of states) {
      const reactions = s.counters.takeReactions();
      if (reactions === undefined) continue;
      let report = byPartition.get(s.partition);
      if (!report) {
        report = { gateway: this.#o.gatewayId, streams: [], counts: [] };
        byPartition.set(s.partition, report);
      }
      report.streams.push(s.id);
      report.counts.push(Object.fromEntries(reactions));
    }
    for (const [partition, report] of byPartition) {
      this.#o.bus.publish(this.#o.subjects.reactionReport(partition), encodeReactionReport(report));
    }
  }
}
