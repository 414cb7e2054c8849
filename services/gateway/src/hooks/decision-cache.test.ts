import { describe, expect, it } from 'vitest';
import { DecisionCache, type Source } from './decision-cache.js';

describe('DecisionCache', () => {
  it('serves a decision for its TTL, synchronously, then loads again', async () => {
    let now = 1000;
    const cache = new DecisionCache<string>(10, () => now);
    let loads = 0;
    const load = async () => ({ value: `v${++loads}`, ttlMs: 500 });
    expect(await cache.get('k', load)).toBe('v1');
    expect(cache.get('k', load)).toBe('v1');
    now += 499;
    expect(cache.get('k', load)).toBe('v1');
    now += 1;
    expect(await cache.get('k', load)).toBe('v2');
  });

  it('coalesces concurrent loads of one key and reports each source', async () => {
    const cache = new DecisionCache<number>(10, () => 0);
    const sources: Source[] = [];
    let release: (v: { value: number; ttlMs: number }) => void = () => undefined;
    let loads = 0;
    const load = () => {
      loads++;
      return new Promise<{ value: number; ttlMs: number }>((r) => (release = r));
    };
    const asks = Array.from({ length: 5 }, () => cache.get('k', load, (s) => sources.push(s)));
    release({ value: 7, ttlMs: 1000 });
    expect(await Promise.all(asks)).toEqual([7, 7, 7, 7, 7]);
    expect(loads).toBe(1);
    expect(sources).toEqual(['backend', 'coalesced', 'coalesced', 'coalesced', 'coalesced']);
    cache.get('k', load, (s) => sources.push(s));
    expect(sources.at(-1)).toBe('cache');
  });

  it('never caches a failure, nor a decision with no TTL', async () => {
    const cache = new DecisionCache<number>(10, () => 0);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => ({ value: 1, ttlMs: 0 }))).toBe(1);
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', async () => ({ value: 2, ttlMs: 10 }))).toBe(2);
  });

  it('evicts the oldest entry past its bound', async () => {
    const cache = new DecisionCache<number>(2, () => 0);
    for (const [i, key] of ['a', 'b', 'c'].entries())
      await cache.get(key, async () => ({ value: i, ttlMs: 1000 }));
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('c')).toBe(2);
  });
});
