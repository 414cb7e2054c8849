import { MemoryBroker, Subjects, partitionOf } from '@roar/bus';
import {
  REPORT_LIST_EVERY,
  decodeReactionReport,
  decodeReport,
  type GatewayReport,
} from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { Reporter } from './reporter.js';
import { StreamState } from '../streams/stream-state.js';
import { defaultSettings } from '../moderation/rules/settings.js';

async function setup(partitions = 1, uniquesInReports = false) {
  const broker = new MemoryBroker();
  const bus = broker.connect();
  const subjects = new Subjects('t');
  const reports: GatewayReport[] = [];
  bus.subscribe('t.agg.report.*', (p) => reports.push(decodeReport(p)));
  const reporter = new Reporter({
    bus,
    subjects,
    gatewayId: 'g1',
    partitions,
    reportIntervalMs: 1000,
    uniquesInReports,
  });
  const state = (id: string, viewers: number): StreamState => {
    const s = new StreamState(id, partitionOf(id, partitions), 10, defaultSettings(['🔥']));
    setViewers(s, viewers);
    return s;
  };
  return { bus, reporter, reports, state, broker };
}

/** Joins or leaves viewers until the stream holds `n`, as connections do. */
function setViewers(s: StreamState, n: number): void {
  while (s.viewers < n) s.join(`v${s.viewers}`);
  while (s.viewers > n) s.leave(0);
}

describe('Reporter', () => {
  it('sends written identities in the report only with uniquesInReports, each once', async () => {
    for (const on of [false, true]) {
      const { bus, reporter, reports, state } = await setup(1, on);
      const a = state('a', 2);
      const b = state('b', 1);
      a.counters.queueReportIdentities(['u1', 'u2'], 10_000);
      reporter.reportCounts([a, b], 0);
      reporter.reportCounts([a, b], 1000);
      await bus.flush();
      expect(reports[0]?.uniques).toEqual(on ? [[0, ['u1', 'u2']]] : undefined);
      expect(reports[1]?.uniques).toBeUndefined();
    }
  });

  it('sends the stream list only when it changes, and every few reports', async () => {
    const { bus, reporter, reports, state } = await setup();
    const a = state('a', 3);
    const b = state('b', 5);
    for (let i = 0; i < REPORT_LIST_EVERY + 1; i++) reporter.reportCounts([a, b], 1000 * i);
    await bus.flush();
    expect(reports.map((r) => r.streams !== undefined)).toEqual([true, false, false, true]);
    expect(reports.every((r) => r.dict === 1)).toBe(true);
    expect([...(reports[1]?.counts ?? [])]).toEqual([3, 5]);
    reporter.reportCounts([a], 5000);
    await bus.flush();
    expect(reports.at(-1)).toMatchObject({ dict: 2, streams: ['a'] });
    expect(reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports an emptied partition once, then stops; bye reports zeros', async () => {
    const { bus, reporter, reports, state } = await setup();
    reporter.reportCounts([state('a', 1)], 0);
    reporter.reportCounts([], 1000);
    reporter.reportCounts([], 2000);
    reporter.reportCounts([state('z', 4)], 3000, true);
    await bus.flush();
    expect(reports.map((r) => r.streams)).toEqual([['a'], [], ['z']]);
    expect(reports.at(-1)).toMatchObject({ bye: true });
    expect([...(reports.at(-1)?.counts ?? [])]).toEqual([0]);
  });

  it('tells the aggregator once which streams it added identities for, split by partition', async () => {
    const { bus, reporter, reports, state } = await setup(4);
    const states = ['s1', 's2', 's3', 's4', 's5', 's6'].map((id) => state(id, 1));
    states[0]!.counters.noteIdentitiesCounted();
    reporter.reportCounts(states, 0);
    reporter.reportCounts(states, 1000);
    await bus.flush();
    const partitions = new Set(states.map((s) => s.partition));
    expect(reports.length).toBe(partitions.size * 2);
    expect(reports.some((r) => r.uniques)).toBe(false);
    const withCounted = reports.filter((r) => r.counted);
    expect(withCounted).toHaveLength(1);
    const first = withCounted[0]!;
    expect(first.counted!.map((i) => first.streams?.[i])).toEqual(['s1']);
  });

  it('reports a partition early when a count moved, at most once per gap', async () => {
    const { bus, reporter, reports, state } = await setup();
    const a = state('a', 300);
    const b = state('b', 1);
    reporter.reportCounts([a, b], 0);
    // One viewer less of 300 is under 1%; b's single leaver is under the 2-viewer floor.
    setViewers(a, 299);
    setViewers(b, 0);
    expect(reporter.reportChanged([a, b], 200, 100)).toBe(0);
    setViewers(a, 296);
    expect(reporter.reportChanged([a, b], 250, 100)).toBe(1);
    setViewers(a, 290);
    expect(reporter.reportChanged([a, b], 300, 100)).toBe(0);
    // A one-shot iterator, as the registry's `values()` is.
    expect(reporter.reportChanged(new Set([a, b]).values(), 350, 100)).toBe(1);
    await bus.flush();
    expect(reports.map((r) => [...r.counts])).toEqual([
      [300, 1],
      [296, 0],
      [290, 0],
    ]);
  });

  it('sends reactions per window and resets them', async () => {
    const { bus, reporter, state } = await setup();
    const got: unknown[] = [];
    bus.subscribe('t.agg.react.*', (p) => got.push(decodeReactionReport(p)));
    const s = state('r', 1);
    s.countReaction('🔥');
    s.countReaction('🔥');
    s.countReaction('👏');
    reporter.reportReactions([s, state('quiet', 1)]);
    reporter.reportReactions([s]);
    await bus.flush();
    expect(got).toEqual([{ gateway: 'g1', streams: ['r'], counts: [{ '🔥': 2, '👏': 1 }] }]);
  });
});
