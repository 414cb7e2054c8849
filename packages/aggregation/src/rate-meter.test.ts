import { createMemoryStore, type StreamRates } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { setup } from '../test/harness.js';
import { RATE_TIME_CONSTANT_MS, RATES_REFRESH_MS } from './rate-meter.js';

/** The smoothed rate after `n` one-second passes at a steady `rate`, starting from 0. */
const ramp = (rate: number, n: number): number =>
  rate * (1 - Math.exp((-n * 1000) / RATE_TIME_CONSTANT_MS));

describe('chat and reaction rates', () => {
  it('sums the chat of two gateways into one smoothed rate per stream', async () => {
    const { gateways, agg, observer, step } = setup();
    const [g0, g1] = gateways;
    for (let n = 1; n <= 10; n++) {
      g0!.report(0, { a: 3, b: 1 }, { chat: { a: 10 } });
      g1!.report(0, { a: 2 }, { chat: { a: 20 } });
      await step(1000);
      expect(agg.snapshot('a')?.chatPerS, `second ${n}`).toBeCloseTo(ramp(30, n), 1);
    }
    expect(agg.snapshot('a')).toMatchObject({ total: 5, reactionsPerS: 0 });
    expect(agg.snapshot('b')?.chatPerS).toBe(0);
    expect(agg.stats.chatMessages).toBe(300);
    // Rates are for moderators: viewers never see them.
    expect(Object.keys(observer.last('a') ?? {}).sort()).toEqual([
      'peak',
      'text',
      'total',
      'type',
      'uniques',
    ]);
  });

  it('decays a stream whose chat stopped to exactly 0, saves the 0, then lets it be forgotten', async () => {
    const { gateways, agg, clock, store, step } = setup({ forgetAfterMs: 2000 });
    const g0 = gateways[0]!;
    for (let n = 0; n < 3; n++) {
      g0.report(0, { a: 1, quiet: 1 }, { chat: { a: 50 } });
      await step(1000);
    }
    let last = agg.snapshot('a')!.chatPerS;
    expect(last).toBeCloseTo(ramp(50, 3), 1);
    let seconds = 0;
    // Its viewers left too: the stream is kept until its rates are down and saved as 0.
    while (last > 0) {
      g0.report(0, { quiet: 1 });
      await step(1000);
      const rate = agg.snapshot('a')!.chatPerS;
      expect(rate).toBeLessThan(last);
      last = rate;
      expect(++seconds).toBeLessThan(30);
    }
    expect(await store.stats.rates('a')).toEqual({ chatPerS: 0, reactionsPerS: 0, at: clock.t });
    // A stream that never had chat costs no rate writes at all.
    expect(agg.snapshot('quiet')?.chatPerS).toBe(0);
    expect(await store.stats.rates('quiet')).toBeUndefined();
    for (let n = 0; n < 4; n++) {
      g0.report(0, { quiet: 1 });
      await step(1000);
    }
    expect(agg.snapshot('a')).toBeUndefined();
    expect(agg.snapshot('quiet')).toBeDefined();
  });

  it('saves rates at most once per interval: on a real change, else every 5 s while non-zero', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const saves: StreamRates[] = [];
    const save = store.stats.saveRates.bind(store.stats);
    store.stats.saveRates = async (stream, rates) => {
      if (stream === 'a') saves.push(rates);
      return save(stream, rates);
    };
    const { gateways, agg, clock, step } = setup({ store });
    const start = clock.t;
    for (let n = 0; n < 30; n++) {
      gateways[0]!.report(0, { a: 1 }, { chat: { a: 10 } });
      await step(1000);
    }
    const ats = saves.map((r) => r.at - start);
    for (let i = 1; i < ats.length; i++) expect(ats[i]! - ats[i - 1]!).toBeGreaterThanOrEqual(1000);
    // Within 10% of the steady 10/s from the 6th second on: only the refreshes remain.
    const refreshes = [1, 2, 3, 4].map((k) => 6000 + k * RATES_REFRESH_MS);
    expect(ats.filter((at) => at > 6000)).toEqual(refreshes);
    const stored = await store.stats.rates('a');
    expect(stored).toEqual(saves.at(-1));
    expect(stored?.chatPerS).toBeCloseTo(agg.snapshot('a')!.chatPerS, 0);
  });

  it('measures reactions per second from reaction reports, every emoji together', async () => {
    const { gateways, agg, observer, store, step } = setup();
    const [g0, g1] = gateways;
    for (let n = 1; n <= 6; n++) {
      g0!.report(0, { a: 5 });
      g1!.report(0, { a: 5 });
      for (let w = 0; w < 4; w++) {
        g0!.reactions(0, { a: { '🔥': 3, '👏': 1 } });
        // Nobody reports viewers of `ghost` here: it gets no rate and no record.
        g1!.reactions(0, { a: { '🔥': 1 }, ghost: { '🔥': 9 } });
        await step(250);
      }
      expect(agg.snapshot('a')?.reactionsPerS, `second ${n}`).toBeCloseTo(ramp(20, n), 1);
    }
    expect(agg.snapshot('a')?.chatPerS).toBe(0);
    expect(agg.snapshot('ghost')).toBeUndefined();
    expect(observer.reactions.filter((r) => r.stream === 'a')).toHaveLength(24);
    expect((await store.stats.rates('a'))?.reactionsPerS).toBeGreaterThan(ramp(20, 4));
  });

  it('skips a report whose chat does not match its counts', async () => {
    const { agg, step } = setup();
    const report = { gateway: 'g', seq: 1, intervalMs: 1000, dict: 1, streams: ['a', 'b'] };
    agg.ingest(0, { ...report, counts: Uint32Array.of(4, 2), chat: Uint32Array.of(5) });
    agg.ingest(0, { ...report, seq: 2, counts: Uint32Array.of(4, 2), chat: Uint32Array.of(0, 7) });
    await step(1000);
    expect(agg.stats.badReports).toBe(1);
    expect(agg.stats.chatMessages).toBe(7);
    expect(agg.snapshot('a')).toMatchObject({ total: 4, chatPerS: 0 });
    expect(agg.snapshot('b')?.chatPerS).toBeCloseTo(ramp(7, 1), 2);
  });

  it('keeps measuring when the store refuses the rates', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    store.stats.saveRates = () => Promise.reject(new Error('redis is down'));
    const errors: string[] = [];
    const { gateways, agg, step } = setup({ store, onError: (_e, where) => errors.push(where) });
    for (let n = 1; n <= 3; n++) {
      gateways[0]!.report(0, { a: 1 }, { chat: { a: 4 } });
      await step(1000);
    }
    expect(agg.snapshot('a')?.chatPerS).toBeCloseTo(ramp(4, 3), 1);
    expect(agg.stats.storeErrors).toBe(3);
    expect(new Set(errors)).toEqual(new Set(['stats.saveRates']));
  });
});
