import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling from 500 ms up to the 30 s cap', () => {
    const backoff = new Backoff({}, () => 0.5);
    const ceilings: number[] = [];
    for (let i = 0; i < 9; i++) {
      ceilings.push(backoff.ceiling());
      backoff.next();
    }
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('draws each delay uniformly from [0, ceiling): full jitter', () => {
    expect(new Backoff({}, () => 0).next()).toBe(0);
    expect(new Backoff({}, () => 0.999_999).next()).toBe(499);
    const values = [0.1, 0.9, 0.3, 0.7];
    const backoff = new Backoff({ initialDelayMs: 100, multiplier: 3, maxDelayMs: 1000 }, () => {
      const v = values.shift();
      if (v === undefined) throw new Error('out of randoms');
      return v;
    });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      10, 270, 270, 700,
    ]);
  });

  it('stays within bounds for any random draw, even after thousands of attempts', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const backoff = new Backoff({}, random);
    for (let i = 0; i < 5000; i++) {
      const ceiling = backoff.ceiling();
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
      expect(ceiling).toBeLessThanOrEqual(30_000);
    }
  });

  it('starts over after a reset, and counts a connection stable after resetAfterMs', () => {
    const backoff = new Backoff({ resetAfterMs: 2000 }, () => 0.5);
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.ceiling()).toBe(500);
    expect(backoff.isStable(1999)).toBe(false);
    expect(backoff.isStable(2000)).toBe(true);
  });
});
