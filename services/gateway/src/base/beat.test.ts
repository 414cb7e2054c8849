import { silentLogger } from '@roar/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Beat } from './beat.js';

describe('Beat', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs work whose periods are multiples of each other in shared wake-ups', () => {
    const beat = new Beat(silentLogger, Date.now);
    const wakeUps = beat.delays();
    const runs = { a: 0, b: 0, c: 0 };
    beat.every(100, () => runs.a++);
    beat.every(250, () => runs.b++);
    beat.every(500, () => runs.c++);
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual({ a: 10, b: 4, c: 2 });
    // Each on its own timer: 16 wake-ups. On one grid: the 100 ms moments, and 250 and 750.
    expect(wakeUps.count).toBe(12);
    beat.stop();
  });

  it('wakes for news only: armed by wake(), within one period, until the work says it is done', () => {
    const beat = new Beat(silentLogger, Date.now);
    const wakeUps = beat.delays();
    let left = 0;
    const ran: number[] = [];
    beat.whileNews(50, () => {
      ran.push(Date.now());
      if (left > 0) left--;
      return left > 0;
    });
    const start = Date.now();
    vi.advanceTimersByTime(1000);
    expect(wakeUps.count).toBe(0);
    expect(beat.armed).toBe(false);

    vi.advanceTimersByTime(20);
    left = 3;
    beat.wake();
    beat.wake();
    expect(beat.armed).toBe(true);
    vi.advanceTimersByTime(50);
    // At the next moment of the grid, 30 ms after the news.
    expect(ran).toEqual([start + 1050]);
    vi.advanceTimersByTime(1000);
    expect(ran).toEqual([start + 1050, start + 1100, start + 1150]);
    expect(beat.armed).toBe(false);
    expect(wakeUps.count).toBe(3);
    beat.stop();
  });

  it('records how late each wake-up came, for every reader', () => {
    const beat = new Beat(silentLogger, Date.now);
    const a = beat.delays();
    const b = beat.delays();
    beat.every(100, () => {});
    vi.advanceTimersByTime(100);
    // The loop is held for 300 ms past the next beat: it comes that late.
    vi.setSystemTime(Date.now() + 300);
    vi.advanceTimersByTime(100);
    expect(a.count).toBe(2);
    expect(a.max).toBeGreaterThanOrEqual(300e6);
    expect(a.min).toBeLessThan(1e6);
    expect(b.max).toBe(a.max);
    a.reset();
    expect(a.count).toBe(0);
    expect(b.count).toBe(2);
    beat.stop();
  });

  it('keeps the other work running when a task throws, and logs it', () => {
    const errors: unknown[] = [];
    const beat = new Beat({ error: (msg, fields) => errors.push([msg, fields]) }, Date.now);
    let ran = 0;
    beat.every(100, () => {
      throw new Error('boom');
    });
    beat.every(100, () => ran++);
    vi.advanceTimersByTime(300);
    expect(ran).toBe(3);
    expect(errors).toHaveLength(3);
    beat.stop();
    vi.advanceTimersByTime(300);
    expect(ran).toBe(3);
  });
});
