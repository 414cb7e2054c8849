import { createMemoryStore, StoreUnavailableError, type Leases } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { StickyLeases } from './sticky-leases.js';

/** Memory leases that fail like an unreachable Redis while `down`. */
function flakyLeases(): { leases: Leases; setDown(down: boolean): void } {
  const inner = createMemoryStore({ historyCapacity: 1 }).leases;
  let down = false;
  const guard = <T>(op: string, call: () => Promise<T>): Promise<T> =>
    down ? Promise.reject(new StoreUnavailableError(op, new Error('down'))) : call();
  return {
    setDown: (d) => (down = d),
    leases: {
      acquire: (n, o, t) => guard('acquire', () => inner.acquire(n, o, t)),
      release: (n, o) => guard('release', () => inner.release(n, o)),
      holder: (n) => guard('holder', () => inner.holder(n)),
    },
  };
}

describe('StickyLeases', () => {
  it('keeps a held lease through an outage and refuses the others', async () => {
    const store = flakyLeases();
    const a = new StickyLeases(store.leases, true);
    const b = new StickyLeases(store.leases, true);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
    expect(await b.acquire('p0', 'b', 1000)).toBe(0);
    store.setDown(true);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
    expect(await b.acquire('p0', 'b', 1000)).toBe(0);
    expect(await a.acquire('p1', 'a', 1000)).toBe(0);
    expect(a.stats).toEqual({ unreachable: 2, keptThroughOutage: 1, claimedBlind: 0 });
    store.setDown(false);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
  });

  it('claims blind only until the store has answered once', async () => {
    const store = flakyLeases();
    store.setDown(true);
    const a = new StickyLeases(store.leases, false);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
    expect(a.stats.claimedBlind).toBe(1);
    store.setDown(false);
    expect(await a.acquire('p1', 'a', 1000)).toBeGreaterThan(0);
    await a.release('p1', 'a');
    store.setDown(true);
    // Reached now: a lease it does not hold (p1, released) is not claimed blind again.
    expect(await a.acquire('p1', 'a', 1000)).toBe(0);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
  });

  it('passes a refusal on at once, even for a lease kept through an outage', async () => {
    const store = flakyLeases();
    const a = new StickyLeases(store.leases, false);
    store.setDown(true);
    expect(await a.acquire('p0', 'a', 1000)).toBeGreaterThan(0);
    store.setDown(false);
    // Another instance won the race when the store came back (its data lost in the restart).
    expect(await store.leases.acquire('p0', 'b', 1000)).toBeGreaterThan(0);
    expect(await a.acquire('p0', 'a', 1000)).toBe(0);
    store.setDown(true);
    expect(await a.acquire('p0', 'a', 1000)).toBe(0);
  });

  it('lets errors other than unavailability through', async () => {
    const broken: Leases = {
      acquire: () => Promise.reject(new RangeError('bad ttl')),
      release: () => Promise.resolve(),
      holder: () => Promise.resolve(undefined),
    };
    const a = new StickyLeases(broken, false);
    await expect(a.acquire('p0', 'a', 1000)).rejects.toThrow('bad ttl');
    expect(a.stats.claimedBlind).toBe(0);
  });
});
