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

  it('forgives the burst a stall queued, once per stall, no more than an unstalled bucket', () => {
    const limiter = new RateLimiter(1, 3);
    expect(limiter.take('u', 0)).toBe(0);
    // The process stalled from 1000 to 11000; the client sent one message a second meanwhile.
    const stall = { from: 1000, to: 11_000 };
    const results = Array.from({ length: 10 }, () => limiter.take('u', 11_000, stall));
    expect(results.every((wait) => wait === 0)).toBe(true);
    // 3 (burst) + 10 (the stall) allowed in all, then the rate again.
    expect(limiter.take('u', 11_000, stall)).toBe(0);
    expect(limiter.take('u', 11_000, stall)).toBe(0);
    expect(limiter.take('u', 11_000, stall)).toBe(0);
    expect(limiter.take('u', 11_000, stall)).toBeGreaterThan(0);
    // Without a stall the same burst is refused after the bucket's burst.
    const plain = new RateLimiter(1, 3);
    const refused = Array.from({ length: 10 }, () => plain.take('u', 11_000)).filter((w) => w > 0);
    expect(refused).toHaveLength(7);
  });

  it('charges extra work as debt, bounded by the burst, paid by the next requests', () => {
    const r = new RateLimiter(1, 2);
    expect(r.take('a', 0)).toBe(0);
    r.charge('a', 100, 0);
    // One token left, minus 100, floored at -2: three seconds until the next.
    expect(r.take('a', 0)).toBe(3000);
    expect(r.take('a', 3000)).toBe(0);
  });

  it('places the messages of a stall backlog across the stall at the allowed rate', () => {
    const limiter = new RateLimiter(2, 3);
    const stall = { from: 1000, to: 6000 };
    const at: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(limiter.take('u', 6000, stall)).toBe(0);
      at.push(limiter.sentAt('u', stall, 6000));
    }
    expect(at).toEqual([1000, 1500, 2000, 2500]);
    // Never after now, and a key without a bucket is now.
    expect(limiter.sentAt('other', stall, 6000)).toBe(6000);
  });
});
