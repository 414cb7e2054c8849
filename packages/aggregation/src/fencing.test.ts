import { createMemoryStore } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { settle, setup, type FakeGateway } from '../test/harness.js';

type World = ReturnType<typeof setup>;

/** Runs `ms` of normal life in 100 ms ticks, each gateway reporting its counts every second. */
async function live(
  w: World,
  ms: number,
  reports: [FakeGateway, Record<string, number>][],
): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (t % 1000 === 0) for (const [g, counts] of reports) g.report(0, counts);
    await w.step(100);
  }
}

// Pauses of the aggregator, lease epochs and peaks: issue 11, findings 1 and 6, on a fake clock.

describe('a paused aggregator', () => {
  it('neither expires the gateways nor publishes a lower total when its clock jumps', async () => {
    const w = setup({ stallMs: 500 });
    const { gateways, observer, agg, clock } = w;
    const [g0, g1] = gateways;
    const normal: [FakeGateway, Record<string, number>][] = [
      [g0!, { a: 10 }],
      [g1!, { a: 5 }],
    ];
    await live(w, 3000, normal);
    expect(observer.totals('a')).toEqual([15]);
    // SIGSTOP for 8 s: the reports sent meanwhile are read only after the first tick.
    clock.advance(8000);
    agg.tick();
    g0!.report(0, { a: 10 });
    g1!.report(0, { a: 5 });
    await settle();
    expect(agg.stats.stalls).toBe(1);
    await live(w, 3000, normal);
    expect(agg.stats.expiredGateways).toBe(0);
    expect(observer.totals('a').filter((t) => t !== 15)).toEqual([]);
  });

  it('expires a gateway that died during a stall once fresh reports had their chance', async () => {
    const w = setup({ stallMs: 500 });
    const { gateways, agg, observer, clock } = w;
    const [g0, g1] = gateways;
    await live(w, 2000, [
      [g0!, { a: 10 }],
      [g1!, { a: 5 }],
    ]);
    // g1 dies during the pause.
    clock.advance(8000);
    agg.tick();
    g0!.report(0, { a: 10 });
    await live(w, 1400, [[g0!, { a: 10 }]]);
    expect(agg.stats.expiredGateways).toBe(0);
    await live(w, 200, [[g0!, { a: 10 }]]);
    expect(agg.stats.expiredGateways).toBe(1);
    await live(w, 1000, [[g0!, { a: 10 }]]);
    expect(observer.totals('a')).toEqual([15, 10]);
  });

  it('holds a leased partition after a stall until the lease is confirmed', async () => {
    const w = setup({ stallMs: 500 });
    const { gateways, observer, agg, step, clock } = w;
    agg.disown(0);
    agg.own(0, 7);
    const g0 = gateways[0]!;
    g0.report(0, { a: 10 });
    await step(0);
    expect(observer.last('a')).toMatchObject({ total: 10, epoch: 7 });
    clock.advance(5000);
    agg.tick();
    await live(w, 4000, [[g0, { a: 12 }]]);
    // Fresh reports came, but the lease was not confirmed: nothing goes out.
    expect(observer.totals('a')).toEqual([10]);
    agg.confirm(0, 7);
    await step(50);
    expect(observer.last('a')).toMatchObject({ total: 12, epoch: 7 });
  });

  it('starts a partition afresh when a renewal answers another epoch', async () => {
    const { gateways, observer, agg, step } = setup({ warmupMs: 2000 });
    agg.disown(0);
    agg.own(0, 7);
    const g0 = gateways[0]!;
    for (let i = 0; i < 3; i++) {
      g0.report(0, { a: 10 });
      await step(1000);
    }
    expect(observer.last('a')).toMatchObject({ total: 10, epoch: 7 });
    agg.confirm(0, 9);
    expect(agg.epochOf(0)).toBe(9);
    for (let i = 0; i < 3; i++) {
      g0.report(0, { a: 10 });
      await step(1000);
    }
    // Unchanged, and published again all the same: the new epoch states every figure.
    expect(observer.viewers.map((v) => v.event.epoch)).toEqual([7, 9]);
  });

  it('keeps the peaks it settled when a renewal answers another epoch (Redis restarted empty)', async () => {
    // A store whose stored peaks can be lost, as an emptied Redis loses them.
    const base = createMemoryStore({ historyCapacity: 10 });
    let emptied = false;
    const stats = new Proxy(base.stats, {
      get(target, key) {
        if (key === 'peak' && emptied) return async () => 0;
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new Proxy(base, {
      get: (target, key) => (key === 'stats' ? stats : Reflect.get(target, key)),
    });
    const { gateways, observer, agg, step } = setup({ warmupMs: 2000, store });
    agg.disown(0);
    agg.own(0, 7);
    const g0 = gateways[0]!;
    for (let i = 0; i < 6; i++) {
      g0.report(0, { a: 130 });
      await step(1000);
    }
    expect(agg.snapshot('a')).toMatchObject({ total: 130, peak: 130 });
    // Redis came back empty: the stored peak is gone, and the lease came back with a new epoch.
    emptied = true;
    agg.confirm(0, 9);
    for (let i = 0; i < 4; i++) {
      g0.report(0, { a: 125 });
      await step(1000);
    }
    expect(agg.snapshot('a')).toMatchObject({ total: 125, peak: 130 });
    // Under the new epoch, never a peak below what was seen to hold before it.
    const renewed = observer.viewers.filter((v) => v.event.epoch === 9);
    expect(renewed.length).toBeGreaterThan(0);
    expect(renewed.every((v) => v.event.peak === 130)).toBe(true);
  });
});

describe('peaks', () => {
  it('are never raised by a crashed gateway counted twice while its viewers reconnect', async () => {
    const { gateways, observer, agg, step } = setup();
    const [g0, g1, g2] = gateways;
    for (let i = 0; i < 6; i++) {
      g0!.report(0, { a: 100 });
      g1!.report(0, { a: 100 });
      g2!.report(0, { a: 100 });
      await step(1000);
    }
    expect(agg.snapshot('a')).toMatchObject({ total: 300, peak: 300 });
    // g0 crashes right after its report; its viewers are on g1 and g2 within the next report.
    for (let i = 0; i < 8; i++) {
      g1!.report(0, { a: 150 });
      g2!.report(0, { a: 150 });
      await step(500);
    }
    expect(agg.stats.expiredGateways).toBe(1);
    expect(Math.max(...observer.totals('a'))).toBe(400);
    expect(agg.snapshot('a')).toMatchObject({ total: 300, peak: 300 });
    expect(Math.max(...observer.viewers.map((v) => v.event.peak ?? 0))).toBe(300);
    // A real rise that holds becomes the peak.
    for (let i = 0; i < 6; i++) {
      g1!.report(0, { a: 150 });
      g2!.report(0, { a: 170 });
      await step(1000);
    }
    expect(agg.snapshot('a')).toMatchObject({ total: 320, peak: 320 });
    expect(observer.last('a')?.peak).toBe(320);
  });
});
