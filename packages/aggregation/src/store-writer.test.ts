import { createMemoryStore, type Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { UNIQUES_ONLY_INTERVALS } from './totals-publisher.js';
import { FakeGateway, setup } from '../test/harness.js';

/** A store whose every call rejects (or throws), like Redis while it is down. */
function brokenStore(mode: 'reject' | 'throw'): Store {
  const fail = (): Promise<never> => {
    if (mode === 'throw') throw new Error('redis is down');
    return Promise.reject(new Error('redis is down'));
  };
  return {
    history: { append: fail, recent: fail, remove: fail, clear: fail },
    uniques: { add: fail, count: fail },
    stats: {
      raisePeak: fail,
      peak: fail,
      saveTotals: fail,
      totals: fail,
      saveRates: fail,
      rates: fail,
    },
    leases: { acquire: fail, release: fail, holder: fail },
    schedules: {
      putSchedule: fail,
      getSchedule: fail,
      removeSchedule: fail,
      listSchedules: fail,
    },
    moderation: {
      putBan: fail,
      removeBan: fail,
      listBans: fail,
      getSettings: fail,
      putSettings: fail,
      setPin: fail,
      getPin: fail,
      appendAudit: fail,
      listAudit: fail,
      hold: fail,
      listHeld: fail,
      takeHeld: fail,
      claimRequest: fail,
      releaseRequest: fail,
      generation: fail,
    },
    liveState: { write: fail, read: fail },
    qa: {
      setOpen: fail,
      ask: fail,
      upvote: fail,
      moderate: fail,
      list: fail,
      mine: fail,
      unpick: fail,
      board: fail,
    },
    // Polls
    polls: { open: fail, current: fail, get: fail, cast: fail, close: fail, finalize: fail },
    close: async () => undefined,
  };
}

describe('uniques, peaks and store failures', () => {
  it('deduplicates identities across gateways and publishes the count', async () => {
    const { gateways, observer, store, step } = setup();
    const [g0, g1] = gateways;
    g0!.report(0, { a: 2 }, { uniques: { a: ['u1', 'u2'] } });
    g1!.report(0, { a: 2 }, { uniques: { a: ['u2', 'u3'] } });
    await step(0);
    expect(await store.uniques.count('a')).toBe(3);
    await step(1000);
    await step(0);
    // A change of uniques alone waits UNIQUES_ONLY_INTERVALS publish intervals.
    for (let i = 0; i < UNIQUES_ONLY_INTERVALS; i++) {
      g0!.report(0, { a: 2 });
      g1!.report(0, { a: 2 });
      await step(1000);
    }
    await step(0);
    expect(observer.last('a')).toMatchObject({ total: 4, uniques: 3 });
    expect(observer.totals('a')).toEqual([4, 4]);
  });

  it('continues the unique count from the store after a restart', async () => {
    const first = setup();
    first.gateways[0]!.report(0, { a: 2 }, { uniques: { a: ['u1', 'u2', 'u3'] } });
    await first.step(0);
    await first.step(1000);
    expect(first.agg.snapshot('a')?.uniques).toBe(3);
    first.agg.stop();
    const second = setup({ store: first.store });
    second.gateways[0]!.report(0, { a: 1 }, { uniques: { a: ['u3', 'u4'] } });
    await second.step(0);
    expect(second.observer.last('a')).toMatchObject({ total: 1, uniques: 3 });
    await second.step(1000);
    await second.step(0);
    for (let i = 0; i < UNIQUES_ONLY_INTERVALS; i++) {
      second.gateways[0]!.report(0, { a: 1 });
      await second.step(1000);
    }
    await second.step(0);
    expect(second.observer.last('a')).toMatchObject({ total: 1, uniques: 4 });
  });

  it('counts uniques at most once per publish interval per stream', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const calls: string[] = [];
    const count = store.uniques.count.bind(store.uniques);
    store.uniques.count = async (stream) => {
      calls.push(stream);
      return count(stream);
    };
    const { gateways, step } = setup({ store });
    for (let i = 0; i < 20; i++) {
      gateways[0]!.report(0, { a: 1, b: 1 }, { uniques: { a: [`u${i}`] } });
      await step(100);
    }
    // One load on first sight each, then a, which got ids, at most once per second: 2000 ms.
    expect(calls.filter((s) => s === 'b')).toEqual(['b']);
    expect(calls.filter((s) => s === 'a')).toHaveLength(1 + 2);
  });

  it('keeps the peak across a restart and persists raises', async () => {
    const first = setup();
    // A peak must hold through a clean window (2.5 report intervals) to count.
    for (let i = 0; i < 6; i++) {
      first.gateways[0]!.report(0, { a: 100 });
      await first.step(1000);
    }
    first.gateways[0]!.report(0, { a: 40 });
    await first.step(1000);
    expect(await first.store.stats.peak('a')).toBe(100);
    first.agg.stop();
    const second = setup({ store: first.store });
    second.gateways[0]!.report(0, { a: 50 });
    await second.step(0);
    expect(second.observer.last('a')).toMatchObject({ total: 50, peak: 100 });
    for (let i = 0; i < 6; i++) {
      second.gateways[0]!.report(0, { a: 150 });
      await second.step(1000);
    }
    expect(second.observer.last('a')).toMatchObject({ total: 150, peak: 150 });
    expect(await first.store.stats.peak('a')).toBe(150);
  });

  it('loads the stored figures of a stream once while a load is in flight', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    await store.stats.raisePeak('a', 70);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loads = 0;
    store.stats.peak = async () => {
      loads++;
      await gate;
      return 70;
    };
    const { gateways, agg, observer, step, subjects } = setup({ store });
    gateways[0]!.report(0, { a: 5 });
    await step(0);
    agg.disown(0);
    agg.own(0);
    const g = new FakeGateway('gw-9', gateways[0]!.bus, subjects, 1);
    g.report(0, { a: 6 });
    await step(0);
    expect(loads).toBe(1);
    expect(observer.viewers).toEqual([]);
    release();
    await step(0);
    expect(observer.last('a')).toMatchObject({ total: 6, peak: 70 });
  });

  it('publishes the first total without the stored figures when the store does not answer', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    store.stats.peak = () => new Promise<number>(() => undefined);
    const { gateways, observer, step } = setup({ store });
    gateways[0]!.report(0, { a: 5 });
    await step(0);
    await step(999);
    expect(observer.viewers).toEqual([]);
    await step(1);
    expect(observer.totals('a')).toEqual([5]);
  });

  for (const mode of ['reject', 'throw'] as const) {
    it(`keeps counting and publishing when every store call fails (${mode})`, async () => {
      const errors: string[] = [];
      const { gateways, observer, agg, step } = setup({
        store: brokenStore(mode),
        onError: (_e, where) => errors.push(where),
      });
      gateways[0]!.report(0, { a: 10 }, { uniques: { a: ['u1'] } });
      gateways[1]!.report(0, { a: 5 });
      await step(0);
      await step(1000);
      expect(observer.totals('a')).toEqual([15]);
      gateways[0]!.report(0, { a: 20 });
      await step(1000);
      await step(0);
      expect(observer.totals('a')).toEqual([15, 25]);
      expect(agg.snapshot('a')).toEqual({
        total: 25,
        uniques: 0,
        // gw-1 fell silent after its one report: no window was clean enough for a peak.
        peak: 0,
        gateways: 2,
        chatPerS: 0,
        reactionsPerS: 0,
      });
      // load (peak + count), uniques.add, then saveTotals for each of 2 publishes.
      expect(agg.stats.storeErrors).toBe(2 + 1 + 2);
      expect(new Set(errors)).toEqual(new Set(['load', 'uniques.add', 'stats.saveTotals']));
    });
  }
});
