import { describe, expect, it } from 'vitest';
import { ChatSampler } from './chat-sampler.js';

describe('ChatSampler', () => {
  it('passes everything under the budget', () => {
    const s = new ChatSampler(25, 0);
    for (let t = 0; t < 2000; t += 50) expect(s.select([1], t)).toEqual([1]);
    expect(s.ratio).toBe(1);
  });

  it('caps delivery at the budget over time, keeping order', () => {
    const s = new ChatSampler(25, 0);
    let delivered = 0;
    for (let t = 0; t <= 10_000; t += 50) {
      const tick = Array.from({ length: 10 }, (_, i) => t * 100 + i); // 200 messages/s
      const out = s.select(tick, t);
      expect(out).toEqual([...out].sort((a, b) => a - b));
      delivered += out.length;
    }
    // 10 s at 25/s, plus the initial one-second burst.
    expect(delivered).toBeGreaterThanOrEqual(250);
    expect(delivered).toBeLessThanOrEqual(25 * 10 + 25 + 1);
    expect(s.ratio).toBeGreaterThan(0.1);
    expect(s.ratio).toBeLessThan(0.15);
  });

  it('samples fairly: every position has the same chance', () => {
    const s = new ChatSampler(10, 0);
    const hits = new Array<number>(20).fill(0);
    let t = 0;
    for (let round = 0; round < 4000; round++) {
      t += 200; // 2 tokens per round
      for (const i of s.select(
        Array.from({ length: 20 }, (_, i) => i),
        t,
      ))
        hits[i]!++;
    }
    const mean = hits.reduce((a, b) => a + b, 0) / hits.length;
    for (const h of hits) expect(Math.abs(h - mean) / mean).toBeLessThan(0.2);
  });

  it('ends a storm once a second passes with no chat, though nothing was judged since', () => {
    const s = new ChatSampler(25, 0);
    for (let t = 0; t <= 2000; t += 50) s.select(new Array(10).fill(0), t);
    expect(s.ratioAt(2000)).toBeLessThan(0.5);
    expect(s.ratio).toBeLessThan(0.5);
    // The storm's last window closes with its own ratio; a second later, none is left.
    expect(s.ratioAt(3100)).toBeLessThan(0.5);
    expect(s.ratioAt(4100)).toBe(1);
    expect(s.ratio).toBeLessThan(0.5);
  });

  it('follows a budget change', () => {
    const s = new ChatSampler(25, 0);
    s.select(new Array(100).fill(0), 0);
    s.setBudget(10);
    let delivered = 0;
    for (let t = 50; t <= 5000; t += 50) delivered += s.select(new Array(10).fill(0), t).length;
    expect(delivered).toBeLessThanOrEqual(10 * 5 + 10);
  });

  it('delivers a backlog sent at a readable rate whole, though it arrives at once', () => {
    const s = new ChatSampler(25, 0);
    for (let t = 50; t <= 1000; t += 50) expect(s.select([t], t, Math.random, t)).toHaveLength(1);
    // A 20 s stall: 10 messages a second were sent meanwhile, and arrive in one tick.
    const backlog = Array.from({ length: 200 }, (_, i) => 1000 + (i + 1) * 100);
    expect(s.select(backlog, 21_000, Math.random, 1100)).toHaveLength(200);
    expect(s.ratio).toBe(1);
    // And the bucket does not keep the stall's credit for later.
    let delivered = 0;
    for (let t = 21_050; t <= 23_000; t += 50)
      delivered += s.select(new Array(10).fill(0), t, Math.random, t).length;
    expect(delivered).toBeLessThanOrEqual(25 * 2 + 25 + 1);
  });

  it('still samples a backlog that was sent faster than anyone can read', () => {
    const s = new ChatSampler(25, 0);
    // 10 s of chat at 200/s, arriving in one tick.
    const backlog = Array.from({ length: 2000 }, (_, i) => i * 5);
    const out = s.select(backlog, 10_000, Math.random, 0);
    expect(out.length).toBeGreaterThanOrEqual(250);
    expect(out.length).toBeLessThanOrEqual(25 * 10 + 25 + 1);
    expect(s.ratio).toBeLessThan(0.2);
  });

  it('does not credit idle time beyond one second for messages sent together', () => {
    const s = new ChatSampler(25, 0);
    // Quiet for a minute, then 100 messages within 20 ms: a storm's start, not a backlog.
    const out = s.select(new Array(100).fill(0), 60_020, Math.random, 60_000);
    expect(out.length).toBeLessThanOrEqual(26);
  });

  it('judges late messages by their own second of send time', () => {
    const s = new ChatSampler(25, 0);
    // Live chat at 10/s for 20 s: each second leaves 15 of its 25 unused.
    for (let t = 100; t <= 20_000; t += 100) {
      expect(s.select([t], t, Math.random, t)).toHaveLength(1);
      s.delivered(t);
    }
    // Then a stalled gateway's queued chat arrives: 15 per second over seconds 5..14.
    let admitted = 0;
    for (let sec = 5; sec < 15; sec++) {
      for (let i = 0; i < 15; i++) {
        const sentAt = sec * 1000 + i * 60;
        expect(s.isLate(sentAt)).toBe(true);
        if (s.admitLate(sentAt, 20_000)) admitted++;
      }
    }
    // 15 of each second's 15 fit its remaining budget of 15.
    expect(admitted).toBe(150);
    // One second more is over its budget: the rest of it is sampled.
    let over = 0;
    for (let i = 0; i < 10; i++) if (!s.admitLate(7000 + i, 20_000)) over++;
    expect(over).toBe(10);
    // Not late: sent within the last second of what was judged.
    expect(s.isLate(19_500)).toBe(false);
  });
});
