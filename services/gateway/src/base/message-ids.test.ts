import { describe, expect, it } from 'vitest';
import { base36, MessageIds } from './message-ids.js';

describe('message ids', () => {
  it('writes numbers in base 36 exactly as toString(36) does', () => {
    const samples = [0, 1, 35, 36, 1295, 1296, 0x7fffffff, 1_796_307_288_634, 2 ** 53 - 1];
    for (let i = 0; i < 1000; i++) samples.push(Math.floor(Math.random() * 2 ** 53));
    for (const n of [...samples, 1.5, -36, Number.NaN]) expect(base36(n)).toBe(n.toString(36));
  });

  it('are the time, the gateway tag and the count, whether or not the millisecond changed', () => {
    const ids = new MessageIds();
    const times = [1000, 1000, 1001, 46_655, 46_656, 46_656];
    const made = times.map((t) => ids.next(t));
    const tag = made[0]!.slice(2, 7);
    expect(made).toEqual(times.map((t, i) => `${t.toString(36)}${tag}${(i + 1).toString(36)}`));
  });
});
