import { silentLogger } from '@roar/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup, turn } from '../test/fanout-fakes.js';
import { Beat } from './base/beat.js';
import { tickWhileNews } from './schedule.js';

describe('the fanout tick', () => {
  beforeEach(() => {
    // setImmediate stays real: the fanout's leading edge and writes use it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('arms itself when a stream gets news, sends it within one tick, and disarms when idle', async () => {
    const beat = new Beat(silentLogger, Date.now);
    const wakeUps = beat.delays();
    const history = { busy: false, flushes: 0, flush: () => history.flushes++ };
    const { fanout, join, arrive, chat } = setup(10, 1000, { onNews: beat.wake, now: Date.now });
    tickWhileNews(beat, { config: { tickMs: 50 }, now: Date.now, fanout, history });
    const ws = join();

    vi.advanceTimersByTime(1000);
    expect(wakeUps.count).toBe(0);

    // News after a quiet tick goes out at once; news 10 ms later waits for the tick.
    arrive(chat('a'));
    expect(beat.armed).toBe(true);
    await turn();
    expect(ws.texts).toEqual(['a']);
    vi.advanceTimersByTime(10);
    arrive(chat('b'));
    await turn();
    expect(ws.texts).toEqual(['a']);
    vi.advanceTimersByTime(50);
    await turn();
    expect(ws.texts).toEqual(['a', 'b']);

    // Nothing more: the tick stops, and an idle second costs no wake-up.
    vi.advanceTimersByTime(200);
    expect(beat.armed).toBe(false);
    const woken = wakeUps.count;
    vi.advanceTimersByTime(1000);
    expect(wakeUps.count).toBe(woken);

    // History still being written keeps the tick going (a failed write is retried at the next).
    history.busy = true;
    beat.wake();
    const flushed = history.flushes;
    vi.advanceTimersByTime(500);
    expect(history.flushes - flushed).toBe(10);
    history.busy = false;
    vi.advanceTimersByTime(500);
    expect(beat.armed).toBe(false);
    beat.stop();
  });
});
