import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('reports duplicates and forgets the oldest id past its capacity', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'a', 'c'].map((id) => ids.add(id))).toEqual([true, true, false, true]);
    expect(ids.add('d')).toBe(true);
    expect(ids.has('a')).toBe(false);
    expect(ids.has('b')).toBe(true);
    expect(ids.size).toBe(3);
  });
});

describe('BoundedQueue', () => {
  it('is first in, first out across the wrap of its ring', () => {
    const q = new BoundedQueue<number>(6);
    const out: (number | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      q.push(i);
      if (i % 2 === 1) out.push(q.shift());
    }
    while (q.size > 0) out.push(q.shift());
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('evicts and returns the oldest item when full', () => {
    const q = new BoundedQueue<string>(2);
    expect(q.push('a')).toBeUndefined();
    expect(q.push('b')).toBeUndefined();
    expect(q.push('c')).toBe('a');
    expect([q.shift(), q.shift(), q.shift()]).toEqual(['b', 'c', undefined]);
  });
});
