import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { elapse, type ContractClock } from './contract-fixtures.js';
import { describeLiveStateContract } from './live-state-contract.js';
import { describeModerationContract } from './moderation-contract.js';
import { describeScheduleStoreContract } from './schedule-contract.js';
import { describeQaContract } from './qa-contract.js';
// Polls
import { describePollContract } from './poll-contract.js';
import type { HistoryEntry, Store } from './store.js';

export { CONTRACT_AUDIT_CAPACITY, CONTRACT_HELD_CAPACITY } from './moderation-contract.js';

/** The capacity every contract fixture must be created with. */
export const CONTRACT_HISTORY_CAPACITY = 10;

export interface StoreFixture extends ContractClock {
  /**
   * A store with a prefix of its own and `historyCapacity: CONTRACT_HISTORY_CAPACITY`,
   * `auditCapacity: CONTRACT_AUDIT_CAPACITY`, `heldCapacity: CONTRACT_HELD_CAPACITY`. Give
   * `advance` when the store runs on a clock the fixture controls (memory: `now`); without it
   * (Redis) the suite waits, with short TTLs, for leases and claims to run out by themselves.
   */
  store: Store;
  dispose(): Promise<void>;
}

const entry = (id: string, body = id): HistoryEntry => ({
  id,
  bytes: new Uint8Array([...new TextEncoder().encode(body), 0x00, 0xff, 0x80]),
});

/**
 * The behaviour every `Store` implementation promises (see the interfaces in store.ts), run once
 * per implementation.
 */
export function describeStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.dispose();
    });

    describe('history', () => {
      it('returns the newest entries oldest first, with their bytes intact', async () => {
        await store.history.append('s', [entry('1'), entry('2')]);
        await store.history.append('s', [entry('3')]);
        expect(await store.history.recent('s', 2)).toEqual([entry('2'), entry('3')]);
        expect(await store.history.recent('s', 50)).toEqual([entry('1'), entry('2'), entry('3')]);
        expect(await store.history.recent('s', 0)).toEqual([]);
        expect(await store.history.recent('unknown', 5)).toEqual([]);
      });

      it('keeps at most the capacity, dropping the oldest', async () => {
        const ids = Array.from({ length: CONTRACT_HISTORY_CAPACITY + 5 }, (_, i) => String(i));
        await store.history.append(
          'cap',
          ids.slice(0, 7).map((id) => entry(id)),
        );
        await store.history.append(
          'cap',
          ids.slice(7).map((id) => entry(id)),
        );
        const kept = await store.history.recent('cap', 100);
        expect(kept.map((e) => e.id)).toEqual(ids.slice(-CONTRACT_HISTORY_CAPACITY));
      });

      it('keeps streams apart', async () => {
        await store.history.append('a', [entry('x')]);
        expect(await store.history.recent('b', 10)).toEqual([]);
      });

      it('removes one message by id and clears a stream', async () => {
        await store.history.append('m', [entry('1'), entry('2'), entry('3')]);
        expect(await store.history.remove('m', '2')).toBe(true);
        expect(await store.history.remove('m', '2')).toBe(false);
        expect(await store.history.remove('m', 'nope')).toBe(false);
        expect((await store.history.recent('m', 10)).map((e) => e.id)).toEqual(['1', '3']);
        await store.history.clear('m');
        expect(await store.history.recent('m', 10)).toEqual([]);
      });

      it('does not confuse an id with another id that starts the same', async () => {
        await store.history.append('p', [entry('ab'), entry('a')]);
        expect(await store.history.remove('p', 'a')).toBe(true);
        expect((await store.history.recent('p', 10)).map((e) => e.id)).toEqual(['ab']);
      });
    });

    describe('uniques', () => {
      it('counts each identity once', async () => {
        await store.uniques.add('u', ['a', 'b', 'a']);
        await store.uniques.add('u', ['b', 'c']);
        expect(await store.uniques.count('u')).toBe(3);
        expect(await store.uniques.count('other')).toBe(0);
      });

      it('estimates 20,000 identities within 2%', async () => {
        const ids = Array.from({ length: 20_000 }, (_, i) => `viewer-${i}`);
        for (let i = 0; i < ids.length; i += 5000)
          await store.uniques.add('big', ids.slice(i, i + 5000));
        const count = await store.uniques.count('big');
        expect(Math.abs(count - 20_000) / 20_000).toBeLessThan(0.02);
      });
    });

    describe('stats', () => {
      it('only ever raises the peak', async () => {
        expect(await store.stats.peak('p')).toBe(0);
        expect(await store.stats.raisePeak('p', 10)).toBe(10);
        expect(await store.stats.raisePeak('p', 4)).toBe(10);
        expect(await store.stats.raisePeak('p', 12)).toBe(12);
        expect(await store.stats.peak('p')).toBe(12);
      });

      it('keeps the latest totals per stream', async () => {
        expect(await store.stats.totals('t')).toBeUndefined();
        await store.stats.saveTotals('t', { total: 5, text: '5 watching', uniques: 7, peak: 9 });
        await store.stats.saveTotals('t', { total: 6, text: '6 watching', uniques: 8, peak: 9 });
        expect(await store.stats.totals('t')).toEqual({
          total: 6,
          text: '6 watching',
          uniques: 8,
          peak: 9,
        });
      });

      it('keeps the latest rates per stream, beside its peak and totals', async () => {
        expect(await store.stats.rates('r')).toBeUndefined();
        await store.stats.raisePeak('r', 4);
        await store.stats.saveTotals('r', { total: 4, text: '4 watching' });
        await store.stats.saveRates('r', { chatPerS: 12.5, reactionsPerS: 3, at: 1_000 });
        const latest = { chatPerS: 0.25, reactionsPerS: 140.75, at: 1_700_000_000_123 };
        await store.stats.saveRates('r', latest);
        await store.stats.saveRates('other', { chatPerS: 0, reactionsPerS: 0, at: 5 });
        const back = await store.stats.rates('r');
        expect(back).toEqual(latest);
        back!.chatPerS = 99;
        expect(await store.stats.rates('r')).toEqual(latest);
        expect(await store.stats.rates('other')).toEqual({ chatPerS: 0, reactionsPerS: 0, at: 5 });
        expect(await store.stats.peak('r')).toBe(4);
        expect(await store.stats.totals('r')).toEqual({ total: 4, text: '4 watching' });
      });

      it('rejects rates that are not finite and non-negative, storing nothing', async () => {
        const good = { chatPerS: 1, reactionsPerS: 2, at: 3 };
        await store.stats.saveRates('bad', good);
        for (const bad of [
          { ...good, chatPerS: Number.NaN },
          { ...good, reactionsPerS: -1 },
          { ...good, chatPerS: Number.POSITIVE_INFINITY },
          { ...good, at: Number.NaN },
        ]) {
          await expect(store.stats.saveRates('bad', bad)).rejects.toThrow(RangeError);
        }
        expect(await store.stats.rates('bad')).toEqual(good);
      });
    });

    describe('leases', () => {
      const released = (name: string) => async () =>
        (await store.leases.holder(name)) === undefined;

      it('gives a lease to one owner at a time, renews it for that owner, and lets it expire', async () => {
        const first = await store.leases.acquire('p0', 'agg-a', 300);
        expect(first).toBeGreaterThan(0);
        expect(await store.leases.acquire('p0', 'agg-b', 300)).toBe(0);
        const since = Date.now();
        expect(await store.leases.acquire('p0', 'agg-a', 300)).toBe(first);
        expect(await store.leases.holder('p0')).toBe('agg-a');
        await elapse(fx, { ms: 300, since }, released('p0'), 'the lease to run out');
        expect(await store.leases.holder('p0')).toBeUndefined();
        expect(await store.leases.acquire('p0', 'agg-b', 300)).toBeGreaterThan(first);
      });

      it('opens a higher epoch when the same owner takes a lease back after it ran out', async () => {
        const since = Date.now();
        const first = await store.leases.acquire('p2', 'agg-a', 100);
        await elapse(fx, { ms: 100, since }, released('p2'), 'the lease to run out');
        expect(await store.leases.acquire('p2', 'agg-a', 100)).toBeGreaterThan(first);
      });

      it('releases only for the holder', async () => {
        await store.leases.acquire('p1', 'agg-a', 10_000);
        await store.leases.release('p1', 'agg-b');
        expect(await store.leases.holder('p1')).toBe('agg-a');
        await store.leases.release('p1', 'agg-a');
        expect(await store.leases.acquire('p1', 'agg-b', 10_000)).toBeGreaterThan(0);
      });
    });

    describe('fenced figures', () => {
      it('refuses totals, rates and peaks from an epoch older than one already written', async () => {
        const t = (total: number) => ({ total, text: `${total} watching` });
        expect(await store.stats.saveTotals('f', t(10), 5)).toBe(true);
        expect(await store.stats.saveTotals('f', t(0), 4)).toBe(false);
        expect((await store.stats.totals('f'))?.total).toBe(10);
        expect(await store.stats.raisePeak('f', 99, 4)).toBe(0);
        expect(await store.stats.raisePeak('f', 12, 5)).toBe(12);
        expect(await store.stats.saveRates('f', { chatPerS: 1, reactionsPerS: 0, at: 1 }, 4)).toBe(
          false,
        );
        expect(await store.stats.saveTotals('f', t(7), 6)).toBe(true);
        expect(await store.stats.saveTotals('f', t(8), 5)).toBe(false);
        expect((await store.stats.totals('f'))?.total).toBe(7);
        // Unfenced writes (no lease in play) always land.
        expect(await store.stats.saveTotals('f', t(3))).toBe(true);
      });
    });

    describeScheduleStoreContract(() => store.schedules);

    describe('moderation', () => {
      describeModerationContract(
        () => store.moderation,
        () => fx,
      );
    });

    describeLiveStateContract(() => store.liveState);
    describeQaContract(() => store.qa);
    // Polls
    describePollContract(() => store);
  });
}
