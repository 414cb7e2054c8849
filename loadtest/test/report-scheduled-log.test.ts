import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain ESM JavaScript, without types
import { logSection } from '../bench/report/section-scheduled-log.mjs';

// The log phase (bench/log.mjs) takes a minute and a JetStream server, so no test runs it through
// the report; this renders its section from a result of the shape it writes.
const run = (log: string, cpuUsPerMessage: number) => ({ log, cpuUsPerMessage });
const log = (ratio: number) => ({
  phases: {
    log: {
      chat: {
        runs: [run('off', 800), run('jetstream', 900), run('off', 820), run('jetstream', 910)],
        offUsPerMessage: 810,
        onUsPerMessage: 905,
        ratio,
        appendAlone: { appends: 2400, cpuUsPerAppend: 47.5, stored: 4800 },
      },
      replay: {
        final: {
          requests: 3000,
          eventsPerReply: 1749,
          perSecond: 884,
          gatewayCpuUsPerRequest: 523,
          bucketReads: 0,
          logReads: 3,
        },
        liveEdge: { requests: 3000, perSecond: 2018, bucketReads: 2 },
      },
    },
  },
});

describe('report: the durable event log section', () => {
  it('renders every run and judges the on ÷ off ratio against its bound', () => {
    const met = (logSection(log(1.028)) as string[]).join('\n');
    expect(met).toContain('810 / 905 µs (medians; off 800, 820; on 900, 910)');
    expect(met).toContain('| log on ÷ log off | **1.028×** | ≤ 1.1× (met) |');
    expect(met).toContain('47.5 µs');
    expect(met).toContain('| **0** (3 log reads in all during them) | 1 per gateway |');
    expect(met).toContain('2,018 /s, 2 (re-read at most once a second)');
    const missed = (logSection(log(1.161)) as string[]).join('\n');
    expect(missed).toContain('≤ 1.1× (missed)');
  });
});
