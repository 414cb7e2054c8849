import { describe, expect, it } from 'vitest';
import { setup } from '../test/harness.js';

describe('publishing totals', () => {
  it('publishes the first change at once and coalesces later ones into one per interval', async () => {
    const { gateways, observer, agg, step } = setup();
    const g0 = gateways[0]!;
    g0.report(0, { a: 10 });
    await step(0);
    expect(observer.totals('a')).toEqual([10]);
    g0.report(0, { a: 11 });
    await step(300);
    g0.report(0, { a: 12 });
    await step(300);
    await step(399);
    expect(observer.totals('a')).toEqual([10]);
    await step(1);
    expect(observer.totals('a')).toEqual([10, 12]);
    // Unchanged reports publish nothing for less than refreshMs (5 intervals).
    for (let i = 0; i < 4; i++) {
      g0.report(0, { a: 12 });
      await step(1000);
    }
    expect(observer.totals('a')).toEqual([10, 12]);
    // After a quiet period the next change is a leading edge again.
    g0.report(0, { a: 13 });
    await step(50);
    expect(observer.totals('a')).toEqual([10, 12, 13]);
    expect(agg.stats.publishes).toBe(3);
  });

  it('publishes nothing when a change is undone within the interval', async () => {
    const { gateways, observer, step } = setup();
    const g0 = gateways[0]!;
    g0.report(0, { a: 10 });
    await step(0);
    g0.report(0, { a: 20 });
    await step(100);
    g0.report(0, { a: 10 });
    await step(100);
    for (let i = 0; i < 30; i++) {
      if (i % 10 === 0) g0.report(0, { a: 10 });
      await step(100);
    }
    expect(observer.totals('a')).toEqual([10]);
  });

  it('throttles each stream on its own clock', async () => {
    const { gateways, observer, step } = setup();
    const g0 = gateways[0]!;
    g0.report(0, { a: 1 });
    await step(0);
    g0.report(0, { a: 1, b: 1 });
    await step(500);
    g0.report(0, { a: 2, b: 2 });
    await step(100);
    expect(observer.totals('a')).toEqual([1]);
    expect(observer.totals('b')).toEqual([1]);
    await step(400);
    expect(observer.totals('a')).toEqual([1, 2]);
    await step(500);
    expect(observer.totals('b')).toEqual([1, 2]);
  });

  it('saves the published totals for gateways that do not hold the stream', async () => {
    const { gateways, store, step } = setup();
    gateways[0]!.report(0, { a: 1200 });
    gateways[1]!.report(0, { a: 34 });
    await step(0);
    expect(await store.stats.totals('a')).toEqual({
      total: 1234,
      text: '1.2K watching',
      uniques: 0,
      peak: 0,
    });
  });

  it('waits warmupMs after own() and then publishes every stream once with the full sum', async () => {
    const { gateways, observer, agg, step } = setup({ warmupMs: undefined });
    const [g0, g1] = gateways;
    // g1 had been reporting before this aggregator started: its list only comes every 3rd report.
    g1!.report(0, { a: 5, z: 0 });
    g1!.report(0, { a: 5, z: 0 });
    await step(0);
    agg.disown(0);
    agg.own(0);
    for (let i = 0; i < 3; i++) {
      g0!.report(0, { a: 10, b: 1 });
      g1!.report(0, { a: 5, z: 0 });
      await step(999);
      expect(observer.viewers).toEqual([]);
      await step(1);
    }
    expect(observer.viewers.map((v) => [v.stream, v.event.total]).sort()).toEqual([
      ['a', 15],
      ['b', 1],
      ['z', 0],
    ]);
    for (let i = 0; i < 4; i++) {
      g0!.report(0, { a: 10, b: 1 });
      g1!.report(0, { a: 5, z: 0 });
      await step(1000);
    }
    expect(observer.viewers).toHaveLength(3);
  });

  it('publishes an unchanged stream with viewers again every refreshMs, and a forgotten one never', async () => {
    const { gateways, observer, agg, step } = setup();
    const g0 = gateways[0]!;
    g0.report(0, { a: 10, b: 0 });
    await step(0);
    for (let i = 0; i < 11; i++) {
      g0.report(0, { a: 10, b: 0 });
      await step(1000);
    }
    // a: first publish, then refreshes at 5 s and 10 s. b is listed, so it is refreshed too.
    expect(observer.totals('a')).toEqual([10, 10, 10]);
    expect(observer.totals('b')).toEqual([0, 0, 0]);
    expect(agg.stats.refreshes).toBe(4);
    g0.report(0, { a: 10 });
    for (let i = 0; i < 20; i++) {
      g0.report(0, { a: 10 });
      await step(1000);
    }
    // b left every list and sits at 0: it is not refreshed, and is forgotten.
    expect(observer.totals('b')).toEqual([0, 0, 0]);
    expect(agg.snapshot('b')).toBeUndefined();
  });
});
