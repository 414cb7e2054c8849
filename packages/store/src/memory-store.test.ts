import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';
import {
  CONTRACT_AUDIT_CAPACITY,
  CONTRACT_HELD_CAPACITY,
  CONTRACT_HISTORY_CAPACITY,
  describeStoreContract,
} from './store-contract.js';

describeStoreContract('memory', async () => {
  // A clock of the fixture's own, starting now (bans are read against real times) and moved
  // only by `advance`: leases and claims run out exactly when the contract says.
  let now = Date.now();
  return {
    store: createMemoryStore({
      historyCapacity: CONTRACT_HISTORY_CAPACITY,
      auditCapacity: CONTRACT_AUDIT_CAPACITY,
      heldCapacity: CONTRACT_HELD_CAPACITY,
      now: () => now,
    }),
    advance: (ms) => void (now += ms),
    async dispose() {},
  };
});

describe('memory store clock', () => {
  it('holds a lease and a claim until their ttl has passed on the injected clock, to the ms', async () => {
    let now = 1_000;
    const store = createMemoryStore({ historyCapacity: 1, now: () => now });
    const epoch = await store.leases.acquire('p', 'agg-a', 300);
    expect(await store.moderation.claimRequest('k', 300)).toBe(true);
    now += 299;
    expect(await store.leases.holder('p')).toBe('agg-a');
    expect(await store.leases.acquire('p', 'agg-b', 300)).toBe(0);
    expect(await store.moderation.claimRequest('k', 300)).toBe(false);
    now += 1;
    expect(await store.leases.holder('p')).toBeUndefined();
    expect(await store.moderation.claimRequest('k', 300)).toBe(true);
    expect(await store.leases.acquire('p', 'agg-b', 300)).toBeGreaterThan(epoch);
  });

  it('forgets ended bans by the injected clock, never by a reader’s `now` ahead of it', async () => {
    let now = 10_000;
    const store = createMemoryStore({ historyCapacity: 1, now: () => now });
    const ban = { userId: 'u', scope: 's', until: 20_000, reason: '', by: 'm', at: 10_000 };
    await store.moderation.putBan(ban);
    expect(await store.moderation.listBans('s', 30_000)).toEqual([]);
    expect(await store.moderation.listBans('s', 10_000)).toEqual([ban]);
    now = 20_000;
    expect(await store.moderation.listBans('s', 15_000)).toEqual([ban]);
    expect(await store.moderation.listBans('s', 20_000)).toEqual([]);
    // Swept now: the clock has passed its end, so no reader sees it any more.
    expect(await store.moderation.listBans('s', 15_000)).toEqual([]);
  });
});
