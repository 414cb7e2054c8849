import type { Bus, Subjects } from '@roar/bus';
import { encodeReactionReport, encodeReport, type ReactionReport } from '@roar/protocol';
import type { StreamState } from './stream-state.js';

/** Gateways repeat their stream list this often, so a new aggregator can read their counts. */
export const DICT_REPEAT_EVERY = 3;

interface PartitionDict {
  version: number;
  streams: string[];
  sinceSent: number;
  seq: number;
}

export interface ReporterOptions {
  bus: Bus;
  subjects: Subjects;
  gatewayId: string;
  partitions: number;
  reportIntervalMs: number;
}

/**
 * Sends this gateway's local counts to the aggregator: one report per partition per interval,
 * whatever the number of viewers, and reaction counts once per window. Stream ids travel only
 * when the set of streams changed (or every few reports), the counts as a packed array.
 */
export class Reporter {
  readonly #o: ReporterOptions;
  readonly #dicts = new Map<number, PartitionDict>();

  constructor(options: ReporterOptions) {
    this.#o = options;
  }

  /** Publishes one count report per partition that has streams (or had them last time). */
  reportCounts(states: Iterable<StreamState>, now: number, bye = false): void {
    const byPartition = new Map<number, StreamState[]>();
    for (const s of states) {
      let list = byPartition.get(s.partition);
      if (!list) byPartition.set(s.partition, (list = []));
      list.push(s);
    }
    for (const partition of this.#dicts.keys())
      if (!byPartition.has(partition)) byPartition.set(partition, []);

    for (const [partition, list] of byPartition) {
      let dict = this.#dicts.get(partition);
      if (!dict)
        this.#dicts.set(partition, (dict = { version: 0, streams: [], sinceSent: 0, seq: 0 }));
      const ids = list.map((s) => s.id);
      const changed =
        ids.length !== dict.streams.length || ids.some((id, i) => id !== dict.streams[i]);
      if (changed) {
        dict.version++;
        dict.streams = ids;
      }
      const sendList = changed || dict.sinceSent >= DICT_REPEAT_EVERY - 1;
      dict.sinceSent = sendList ? 0 : dict.sinceSent + 1;

      const counts = new Uint32Array(list.length);
      const chat = new Uint32Array(list.length);
      const uniques: [number, string[]][] = [];
      list.forEach((s, i) => {
        counts[i] = bye ? 0 : s.viewers;
        chat[i] = s.chatAccepted;
        s.chatAccepted = 0;
        if (s.newIdentities.length > 0) {
          // Repeats (a viewer who reconnected) count once anyway; sending them once is cheaper.
          uniques.push([i, [...new Set(s.newIdentities)]]);
          s.newIdentities = [];
        }
        s.lastReportedAt = now;
      });
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
          ...(uniques.length > 0 ? { uniques } : {}),
          ...(bye ? { bye: true } : {}),
        }),
      );
      // A partition with no streams left was reported empty once; stop reporting it.
      if (list.length === 0) this.#dicts.delete(partition);
    }
  }

  /** Publishes the reactions counted since the last call, one message per partition. */
  reportReactions(states: Iterable<StreamState>): void {
    const byPartition = new Map<number, ReactionReport>();
    for (const s of states) {
      if (s.reactions.size === 0) continue;
      let report = byPartition.get(s.partition);
      if (!report) {
        report = { gateway: this.#o.gatewayId, streams: [], counts: [] };
        byPartition.set(s.partition, report);
      }
      report.streams.push(s.id);
      report.counts.push(Object.fromEntries(s.reactions));
      s.reactions = new Map();
    }
    for (const [partition, report] of byPartition) {
      this.#o.bus.publish(this.#o.subjects.reactionReport(partition), encodeReactionReport(report));
    }
  }
}
