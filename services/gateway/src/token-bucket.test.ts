import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    const b = new TokenBucket(1, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.retryAfterMs(0)).toBe(1000);
    expect(b.take(500)).toBe(false);
    expect(b.retryAfterMs(500)).toBe(500);
    expect(b.take(1000)).toBe(true);
    expect(b.take(1000)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const b = new TokenBucket(10, 2, 0);
    expect(b.isFull(100_000)).toBe(true);
    expect([b.take(100_000), b.take(100_000), b.take(100_000)]).toEqual([true, true, false]);
  });

  it('ignores a clock that goes backwards', () => {
    const b = new TokenBucket(1, 1, 1000);
    expect(b.take(1000)).toBe(true);
    expect(b.take(0)).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('limits per key and reports the wait', () => {
    const r = new RateLimiter(1, 1);
    expect(r.take('a', 0)).toBe(0);
    expect(r.take('a', 0)).toBe(1000);
    expect(r.take('b', 0)).toBe(0);
  });

  it('forgets idle keys on sweep', () => {
    const r = new RateLimiter(1, 1);
    r.take('a', 0);
    r.take('b', 0);
    r.sweep(500);
    expect(r.size).toBe(2);
    r.sweep(2000);
    expect(r.size).toBe(0);
  });

  it('charges extra work as debt, bounded by the burst, paid by the next requests', () => {
    const r = new RateLimiter(1, 2);
    expect(r.take('a', 0)).toBe(0);
    r.charge('a', 100, 0);
    // One token left, minus 100, floored at -2: three seconds until the next.
    expect(r.take('a', 0)).toBe(3000);
    expect(r.take('a', 3000)).toBe(0);
  });
});
