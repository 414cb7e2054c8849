import { createHistogram } from 'node:perf_hooks';
import { Logger } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { burnCpu } from '../../test/burn-cpu.js';
import type { Admission } from './admission.js';
import { LoadControl, type LoadConfig } from './load-control.js';
import type { SlowClients } from './slow-clients.js';
import { GatewayMetrics } from '../base/metrics.js';
import type { Fanout } from '../streams/fanout.js';

const config: LoadConfig = {
  ladderLoopDelayMs: 60_000,
  ladderBufferedBytes: 1e12,
  ladderCpu: 0.3,
  ladderFanoutMs: 1000,
  // The first sample under pressure steps up.
  ladderUpMs: 0,
  ladderDownMs: 60_000,
  pinnedLevel: undefined,
  countIntervalMs: 1000,
  reactionWindowMs: 250,
  chatBudgetPerS: 20,
};

/** Load control over a fanout that reports the given share of the load (`takeLoad`). */
function control(load: (spentUs: number) => { cpuUs: number; behindMs: number }) {
  const metrics = new GatewayMetrics();
  let spentUs = 0;
  const fanout = {
    applyPolicy: () => undefined,
    takeLoad: () => load(spentUs),
  } as unknown as Fanout;
  const lc = new LoadControl({
    config,
    metrics,
    log: new Logger('error'),
    fanout,
    connections: { openSockets: [], setLevel: () => undefined },
    admission: { setClosed: () => undefined } as unknown as Admission,
    slow: {} as SlowClients,
    loopDelay: createHistogram(),
    now: () => 0,
  });
  /** `ms` of CPU as if fanout's writes (reported by `takeLoad`) or other work took it. */
  const work = (ms: number): void => {
    const from = process.cpuUsage();
    burnCpu(ms);
    const used = process.cpuUsage(from);
    spentUs += used.user + used.system;
  };
  return { lc, metrics, work };
}

describe('LoadControl', () => {
  it("leaves fanout's writes out of the CPU it takes for pressure, and counts them", async () => {
    const { lc, metrics, work } = control((spentUs) => ({ cpuUs: spentUs, behindMs: 100 }));
    work(150);
    lc.samplePressure();
    expect(lc.ladder.level).toBe(0);
    const fanoutCpu = (await metrics.fanoutCpu.get()).values[0]?.value ?? 0;
    expect(fanoutCpu).toBeGreaterThanOrEqual(0.15);
  });

  it('takes the same CPU spent on other work for pressure', () => {
    const { lc, work } = control(() => ({ cpuUs: 0, behindMs: 100 }));
    work(150);
    lc.samplePressure();
    expect(lc.ladder.level).toBe(1);
  });

  it('takes a frame slower than the limit to reach every socket for pressure', () => {
    const { lc } = control(() => ({ cpuUs: 0, behindMs: 1500 }));
    lc.samplePressure();
    expect(lc.ladder.level).toBe(1);
  });
});
