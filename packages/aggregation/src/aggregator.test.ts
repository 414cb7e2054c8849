import { encodeReport, pack } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { FakeGateway, settle, setup } from '../test/harness.js';

describe('Aggregator counting', () => {
  it('sums the counts of three gateways', async () => {
    const { gateways, observer, agg, step } = setup();
    const [g0, g1, g2] = gateways;
    g0!.report(0, { a: 10, b: 5 });
    g1!.report(0, { a: 20 });
    g2!.report(0, { a: 30, b: 1 });
    await step(0);
    expect(observer.last('a')).toEqual({
      type: 'viewers',
      total: 60,
      text: '60 watching',
      uniques: 0,
      // Not yet held through a clean window (see peak-window.ts).
      peak: 0,
    });
    expect(observer.last('b')?.total).toBe(6);
    expect(agg.snapshot('a')).toEqual({
      total: 60,
      uniques: 0,
      peak: 0,
      gateways: 3,
      chatPerS: 0,
      reactionsPerS: 0,
    });
    expect(agg.snapshot('b')).toEqual({
      total: 6,
      uniques: 0,
      peak: 0,
      gateways: 2,
      chatPerS: 0,
      reactionsPerS: 0,
    });
    expect(agg.stats.entries).toBe(5);
    expect(agg.stats.gateways).toBe(3);
    expect(agg.stats.streams).toBe(2);
  });

  it('follows a change of a gateway stream list mid-stream', async () => {
    const { gateways, agg, step } = setup();
    const [g0, g1] = gateways;
    g0!.report(0, { a: 10, b: 5 });
    g1!.report(0, { a: 1, b: 1 });
    await step(0);
    g0!.report(0, { b: 7, c: 3 });
    await step(0);
    expect(agg.snapshot('a')).toEqual({
      total: 1,
      uniques: 0,
      peak: 0,
      gateways: 1,
      chatPerS: 0,
      reactionsPerS: 0,
    });
    expect(agg.snapshot('b')?.total).toBe(8);
    expect(agg.snapshot('c')?.total).toBe(3);
    g0!.report(0, { b: 9, c: 3 });
    await step(0);
    expect(agg.snapshot('b')?.total).toBe(10);
    expect(agg.snapshot('c')?.gateways).toBe(1);
  });

  it('skips counts for an unknown dict, keeps the gateway live, and recovers with the list', async () => {
    const { gateways, agg, step } = setup();
    const g0 = gateways[0]!;
    g0.report(0, { a: 10 });
    await step(1000);
    g0.report(0, { a: 11, b: 4 }, { omitList: true });
    await step(1000);
    g0.report(0, { a: 12, b: 4 });
    await step(1000);
    expect(agg.stats.unknownDict).toBe(2);
    expect(agg.snapshot('a')?.total).toBe(10);
    expect(agg.snapshot('b')).toBeUndefined();
    g0.report(0, { a: 13, b: 5 });
    await step(1000);
    expect(agg.stats.expiredGateways).toBe(0);
    expect(agg.snapshot('a')?.total).toBe(13);
    expect(agg.snapshot('b')?.total).toBe(5);
  });

  it('expires a gateway silent for more than three of its intervals', async () => {
    const { gateways, agg, observer, step } = setup();
    const [g0, g1] = gateways;
    g0!.report(0, { a: 10 });
    g1!.report(0, { a: 5 });
    await step(0);
    for (let i = 0; i < 3; i++) {
      await step(1000);
      g1!.report(0, { a: 5 });
    }
    await step(0);
    expect(agg.snapshot('a')?.total).toBe(15);
    await step(1);
    expect(agg.stats.expiredGateways).toBe(1);
    expect(agg.snapshot('a')).toEqual({
      total: 5,
      uniques: 0,
      // 15 never held through a window clean of the silent gateway, which may have crashed.
      peak: 0,
      gateways: 1,
      chatPerS: 0,
      reactionsPerS: 0,
    });
    expect(observer.totals('a')).toEqual([15, 5]);
  });

  it('drops a gateway at once when it says goodbye', async () => {
    const { gateways, agg, observer, step } = setup();
    const [g0, g1] = gateways;
    g0!.report(0, { a: 10 });
    g1!.report(0, { a: 5 });
    await step(0);
    g0!.report(0, { a: 10 }, { bye: true });
    await settle();
    expect(agg.snapshot('a')?.total).toBe(5);
    expect(agg.stats.byes).toBe(1);
    await step(1000);
    expect(observer.totals('a')).toEqual([15, 5]);
  });

  it('ignores duplicate and older seqs but accepts a restarted gateway', async () => {
    const { gateways, agg, step } = setup();
    const g0 = gateways[0]!;
    for (let c = 1; c <= 12; c++) g0.report(0, { a: c });
    await step(0);
    expect(agg.snapshot('a')?.total).toBe(12);
    g0.report(0, { a: 99 }, { seq: 12 });
    g0.report(0, { a: 50 }, { seq: 3 });
    await step(0);
    expect(agg.stats.staleReports).toBe(2);
    expect(agg.snapshot('a')?.total).toBe(12);
    const restarted = new FakeGateway(g0.id, g0.bus, g0.subjects, 1);
    restarted.report(0, { a: 7 });
    await step(0);
    expect(agg.stats.gatewayRestarts).toBe(1);
    expect(agg.snapshot('a')).toEqual({
      total: 7,
      uniques: 0,
      peak: 0,
      gateways: 1,
      chatPerS: 0,
      reactionsPerS: 0,
    });
  });

  it('counts undecodable and inconsistent reports without throwing', async () => {
    const { agg, broker, subjects, step } = setup();
    const bus = broker.connect();
    const errors: unknown[] = [];
    bus.onError = (e) => errors.push(e);
    bus.publish(subjects.report(0), Uint8Array.of(0xc1));
    bus.publish(subjects.reactionReport(0), pack({ v: 2 }));
    const base = { gateway: 'g', intervalMs: 1000, dict: 1 };
    bus.publish(
      subjects.report(0),
      encodeReport({ ...base, seq: 1, streams: ['a'], counts: Uint32Array.of(1) }),
    );
    bus.publish(
      subjects.report(0),
      encodeReport({ ...base, seq: 2, counts: Uint32Array.of(1, 2) }),
    );
    await step(0);
    expect(agg.stats.decodeErrors).toBe(2);
    expect(agg.stats.badReports).toBe(1);
    expect(agg.stats.handlerErrors).toBe(0);
    expect(agg.snapshot('a')?.total).toBe(1);
    expect(errors).toEqual([]);
  });

  it('forgets a stream that sat at zero, published as zero, for forgetAfterMs', async () => {
    const { gateways, agg, observer, step } = setup({ forgetAfterMs: 5000 });
    const g0 = gateways[0]!;
    g0.report(0, { a: 5 });
    await step(0);
    g0.report(0, { a: 0 });
    await step(1000);
    g0.report(0, {});
    expect(observer.totals('a')).toEqual([5, 0]);
    for (let i = 0; i < 5; i++) await step(1000);
    expect(agg.snapshot('a')).toBeDefined();
    await step(1000);
    expect(agg.snapshot('a')).toBeUndefined();
    expect(agg.stats.forgottenStreams).toBe(1);
    expect(agg.stats.streams).toBe(0);
  });

  it('keeps the sums equal to a recount across random list changes and expiries', async () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const { gateways, agg, step } = setup({ gateways: 5 });
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const latest = new Map<number, Record<string, number>>();
    for (let round = 0; round < 60; round++) {
      for (let g = 0; g < gateways.length; g++) {
        if (g === 4 && round >= 40) continue; // goes silent and must expire
        const counts: Record<string, number> = {};
        for (const s of names) if (rand(3) > 0) counts[s] = rand(1000);
        gateways[g]!.report(0, counts);
        latest.set(g, counts);
      }
      await step(1000);
      // Last heard at round 39's report; silent for more than 3000 ms at round 42's tick.
      if (round === 42) latest.delete(4);
      for (const s of names) {
        let want = 0;
        let holders = 0;
        for (const counts of latest.values()) {
          if (counts[s] !== undefined) holders++;
          want += counts[s] ?? 0;
        }
        const snap = agg.snapshot(s);
        expect(snap?.total ?? 0, `${s} round ${round}`).toBe(want);
        expect(snap?.gateways ?? 0).toBe(holders);
      }
    }
    expect(agg.stats.expiredGateways).toBe(1);
  });
});

describe('Aggregator publish lag', () => {
  it('tells how long each change waited: none on the leading edge, the throttle on the trailing', async () => {
    const lags: number[] = [];
    const { gateways, observer, step } = setup({
      gateways: 1,
      publishIntervalMs: 1000,
      onPublished: (ms) => lags.push(ms),
    });
    const [g0] = gateways;
    g0!.report(0, { a: 10 });
    await step(0);
    expect(observer.last('a')?.total).toBe(10);
    expect(lags).toEqual([0]);
    // A change 200 ms later waits for the end of the interval: 800 ms.
    await step(200);
    g0!.report(0, { a: 12 });
    await step(0);
    expect(observer.last('a')?.total).toBe(10);
    await step(800);
    expect(observer.last('a')?.total).toBe(12);
    expect(lags).toEqual([0, 800]);
  });
});
