import type { Leases } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { PartitionLeaser, partitionLeaseName } from './partition-leaser.js';
import { Clock } from '../test/harness.js';

/** Leases on an injected clock, with failures to order. */
class ClockLeases implements Leases {
  readonly #leases = new Map<string, { owner: string; until: number; epoch: number }>();
  #epoch = 0;
  mode: 'ok' | 'reject' | 'hang' = 'ok';
  calls = 0;

  constructor(readonly clock: Clock) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<number> {
    this.calls++;
    await this.#fault();
    const lease = this.#leases.get(name);
    const held = lease !== undefined && lease.until > this.clock.t;
    if (held && lease.owner !== owner) return 0;
    const epoch = held ? lease.epoch : ++this.#epoch;
    this.#leases.set(name, { owner, until: this.clock.t + ttlMs, epoch });
    return epoch;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.#fault();
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    const lease = this.#leases.get(name);
    return lease && lease.until > this.clock.t ? lease.owner : undefined;
  }

  async #fault(): Promise<void> {
    if (this.mode === 'reject') throw new Error('store down');
    if (this.mode === 'hang') await new Promise(() => undefined);
  }
}

function leaser(
  leases: ClockLeases,
  owner: string,
  log: string[],
  extra: { maxPartitions?: number } = {},
) {
  return new PartitionLeaser({
    leases,
    owner,
    partitions: 4,
    ttlMs: 3000,
    now: leases.clock.now,
    onAcquire: (p) => log.push(`${owner}+${p}`),
    onLose: (p) => log.push(`${owner}-${p}`),
    ...extra,
  });
}

describe('PartitionLeaser', () => {
  it('takes every free partition and leaves a second instance on standby', async () => {
    const leases = new ClockLeases(new Clock());
    const log: string[] = [];
    const a = leaser(leases, 'a', log);
    const b = leaser(leases, 'b', log);
    await a.renew();
    await b.renew();
    expect(a.held).toEqual([0, 1, 2, 3]);
    expect(b.held).toEqual([]);
    expect(log.sort()).toEqual(['a+0', 'a+1', 'a+2', 'a+3']);
    expect(await leases.holder(partitionLeaseName(2))).toBe('a');
  });

  it('splits partitions between instances with maxPartitions', async () => {
    const leases = new ClockLeases(new Clock());
    const a = leaser(leases, 'a', [], { maxPartitions: 2 });
    const b = leaser(leases, 'b', [], { maxPartitions: 2 });
    await a.renew();
    await b.renew();
    expect(a.held).toHaveLength(2);
    expect(b.held).toHaveLength(2);
    expect([...a.held, ...b.held].sort()).toEqual([0, 1, 2, 3]);
  });

  it('loses every partition at once when the store fails, and does not retake them that round', async () => {
    const leases = new ClockLeases(new Clock());
    const log: string[] = [];
    const errors: string[] = [];
    const a = new PartitionLeaser({
      leases,
      owner: 'a',
      partitions: 2,
      now: leases.clock.now,
      onAcquire: (p) => log.push(`+${p}`),
      onLose: (p) => log.push(`-${p}`),
      onError: (_e, where) => errors.push(where),
    });
    await a.renew();
    leases.mode = 'reject';
    await a.renew();
    expect(a.held).toEqual([]);
    expect(log.sort()).toEqual(['+0', '+1', '-0', '-1']);
    expect(a.stats).toEqual({ acquired: 2, lost: 2, errors: 2 });
    expect(errors).toEqual(['acquire', 'acquire']);
    leases.mode = 'ok';
    await a.renew();
    expect(a.held).toEqual([0, 1]);
  });

  it('gives a partition up when its renewal has not succeeded within the TTL', async () => {
    const leases = new ClockLeases(new Clock());
    const log: string[] = [];
    const a = leaser(leases, 'a', log);
    await a.renew();
    leases.mode = 'hang';
    void a.renew();
    // Given up one renewal period before the lease runs out in the store.
    leases.clock.advance(1999);
    void a.renew();
    expect(a.held).toEqual([0, 1, 2, 3]);
    leases.clock.advance(1);
    void a.renew();
    expect(a.held).toEqual([]);
    expect(log.filter((e) => e.startsWith('a-')).sort()).toEqual(['a-0', 'a-1', 'a-2', 'a-3']);
  });

  it('stop() calls onLose before releasing, so the standby can take over at once', async () => {
    const leases = new ClockLeases(new Clock());
    const log: string[] = [];
    const a = leaser(leases, 'a', log);
    const b = leaser(leases, 'b', log);
    await a.renew();
    const release = leases.release.bind(leases);
    leases.release = (name, owner) => {
      log.push(`release ${name}`);
      return release(name, owner);
    };
    log.length = 0;
    await a.stop();
    expect(log.slice(0, 4).sort()).toEqual(['a-0', 'a-1', 'a-2', 'a-3']);
    expect(log.slice(4).sort()).toEqual(
      [0, 1, 2, 3].map((p) => `release ${partitionLeaseName(p)}`),
    );
    await b.renew();
    expect(b.held).toEqual([0, 1, 2, 3]);
  });

  it('hands out the lease epoch on acquire and every renewal, higher after a change of holder', async () => {
    const leases = new ClockLeases(new Clock());
    const seen: string[] = [];
    const track = (owner: string) =>
      new PartitionLeaser({
        leases,
        owner,
        partitions: 1,
        ttlMs: 3000,
        now: leases.clock.now,
        onAcquire: (p, epoch) => seen.push(`${owner}+${p}@${epoch}`),
        onRenew: (p, epoch) => seen.push(`${owner}=${p}@${epoch}`),
        onLose: (p) => seen.push(`${owner}-${p}`),
      });
    const a = track('a');
    const b = track('b');
    await a.renew();
    await a.renew();
    expect(seen).toEqual(['a+0@1', 'a=0@1']);
    // a is paused past its lease; b takes the partition under a new epoch.
    leases.clock.advance(3001);
    await b.renew();
    expect(seen.at(-1)).toBe('b+0@2');
    // a's next round finds the lease gone: it is told at once and does not renew.
    await a.renew();
    expect(seen.slice(-1)).toEqual(['a-0']);
    expect(seen.some((e) => e.startsWith('a=0@2'))).toBe(false);
  });

  it('rejects bad options naming them', () => {
    const leases = new ClockLeases(new Clock());
    const base = { leases, owner: 'a', onAcquire: () => undefined, onLose: () => undefined };
    expect(() => new PartitionLeaser({ ...base, partitions: 0 })).toThrow(/partitions/);
    expect(
      () => new PartitionLeaser({ ...base, partitions: 2, ttlMs: 100, renewEveryMs: 100 }),
    ).toThrow(/renewEveryMs/);
  });
});
