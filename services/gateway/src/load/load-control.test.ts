import { createHistogram } from 'node:perf_hooks';
import { Logger } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import type { Admission } from './admission.js';
import { LoadControl, type LoadConfig } from './load-control.js';
import type { SlowClients } from './slow-clients.js';
import { GatewayMetrics } from '../base/metrics.js';
import type { Fanout } from '../streams/fanout.js';

const config: LoadConfig = {
  ladderLoopDelayMs: 60_000,
  ladderBufferedBytes: 1e12,
  ladderCpu: 0.9,
  ladderFanoutMs: 1000,
  // The first sample under pressure steps up.
  ladderUpMs: 0,
  ladderDownMs: 60_000,
  pinnedLevel: undefined,
  countIntervalMs: 1000,
  reactionWindowMs: 250,
  chatBudgetPerS: 20,
};

type Load = ReturnType<Fanout['takeLoad']>;

/** Load control over a fanout reporting `loads` in turn (`takeLoad`), sampled once each. */
function levelsAfter(...loads: Load[]): number[] {
  let next = 0;
  const fanout = {
    applyPolicy: () => undefined,
    takeLoad: () => loads[next++],
  } as unknown as Fanout;
  const lc = new LoadControl({
    config,
    metrics: new GatewayMetrics(),
    log: new Logger('error'),
    fanout,
    connections: { openSockets: [], setLevel: () => undefined },
    admission: { setClosed: () => undefined } as unknown as Admission,
    slow: {} as SlowClients,
    loopDelay: createHistogram(),
    now: () => 0,
  });
  return loads.map(() => (lc.samplePressure(), lc.ladder.level));
}

describe('LoadControl', () => {
  it('takes the CPU used while fanout had no backlog for pressure', () => {
    expect(levelsAfter({ idleMs: 400, idleCpuUs: 380_000, behindMs: 20 })).toEqual([1]);
    expect(levelsAfter({ idleMs: 400, idleCpuUs: 200_000, behindMs: 20 })).toEqual([0]);
  });

  it('keeps the last CPU reading through a period fanout spent all writing', () => {
    const writing = { idleMs: 10, idleCpuUs: 10_000, behindMs: 300 };
    expect(levelsAfter({ idleMs: 400, idleCpuUs: 40_000, behindMs: 20 }, writing)).toEqual([0, 0]);
    expect(levelsAfter({ idleMs: 400, idleCpuUs: 390_000, behindMs: 20 }, writing)).toEqual([1, 2]);
  });

  it('takes a frame slower than the limit to reach every socket for pressure', () => {
    const idle = { idleMs: 400, idleCpuUs: 4_000 };
    expect(levelsAfter({ ...idle, behindMs: 999 })).toEqual([0]);
    expect(levelsAfter({ ...idle, behindMs: 1500 })).toEqual([1]);
  });
});
