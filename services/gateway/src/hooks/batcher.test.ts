import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('sends at the size bound at once, the rest after the window, results in order', async () => {
    const sent: number[][] = [];
    const batcher = new Batcher<number, number>({
      windowMs: 20,
      maxItems: 3,
      send: async (items) => {
        sent.push(items);
        return items.map((i) => i * 10);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.add(i)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(sent).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('rejects every item of a batch that failed', async () => {
    const batcher = new Batcher<number, number>({
      windowMs: 1,
      maxItems: 10,
      send: () => Promise.reject(new Error('down')),
    });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
