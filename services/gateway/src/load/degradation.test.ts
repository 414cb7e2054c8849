import { describe, expect, it } from 'vitest';
import { DegradationLadder, MAX_LEVEL, type Pressure } from './degradation.js';

const limits: Pressure = { loopDelayMs: 100, bufferedBytes: 1e9, cpu: 0.9, fanoutMs: 1000 };
const calm: Pressure = { loopDelayMs: 5, bufferedBytes: 0, cpu: 0.1, fanoutMs: 60 };
const hot: Pressure = { loopDelayMs: 300, bufferedBytes: 0, cpu: 0.5, fanoutMs: 60 };

function ladder() {
  const changes: [number, number][] = [];
  const l = new DegradationLadder(
    { limits, upAfterMs: 1000, downAfterMs: 5000, calmFactor: 0.6 },
    (level, prev) => changes.push([prev, level]),
  );
  return { l, changes };
}

describe('DegradationLadder', () => {
  it('steps up one level per sustained second of pressure, to the top and no further', () => {
    const { l, changes } = ladder();
    for (let t = 0; t <= 10_000; t += 500) l.sample(hot, t);
    expect(l.level).toBe(MAX_LEVEL);
    expect(changes.slice(0, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('takes a frame too slow to reach every socket for pressure, as it takes the other signals', () => {
    const { l } = ladder();
    for (let t = 0; t <= 1000; t += 500) l.sample({ ...calm, fanoutMs: 999 }, t);
    expect(l.level).toBe(0);
    for (let t = 1500; t <= 2500; t += 500) l.sample({ ...calm, fanoutMs: 1000 }, t);
    expect(l.level).toBe(1);
    expect(DegradationLadder.load({ ...calm, fanoutMs: 2500 }, limits)).toBe(2.5);
    expect(DegradationLadder.mostPressed({ ...calm, fanoutMs: 2500 }, limits)).toEqual([
      'fanoutMs',
      2.5,
    ]);
  });

  it('steps down slowly once the pressure is gone', () => {
    const { l } = ladder();
    for (let t = 0; t <= 2000; t += 500) l.sample(hot, t);
    const top = l.level;
    expect(top).toBe(2);
    l.sample(calm, 2500);
    l.sample(calm, 6000);
    expect(l.level).toBe(2);
    l.sample(calm, 7500);
    expect(l.level).toBe(1);
    for (let t = 8000; t <= 20_000; t += 500) l.sample(calm, t);
    expect(l.level).toBe(0);
  });

  it('does not flap on a signal that crosses the limit back and forth', () => {
    const { l, changes } = ladder();
    for (let t = 0; t <= 30_000; t += 500)
      l.sample(t % 1000 === 0 ? hot : { ...calm, loopDelayMs: 90 }, t);
    expect(changes).toEqual([]);
    expect(l.level).toBe(0);
  });

  it('holds a level in the band between calm and pressure', () => {
    const { l } = ladder();
    for (let t = 0; t <= 1000; t += 500) l.sample(hot, t);
    expect(l.level).toBe(1);
    for (let t = 1500; t <= 30_000; t += 500) l.sample({ ...calm, cpu: 0.7 }, t);
    expect(l.level).toBe(1);
  });

  it('lets an operator pin and unpin the level', () => {
    const { l, changes } = ladder();
    l.pin(4);
    expect(l.level).toBe(4);
    for (let t = 0; t <= 30_000; t += 500) l.sample(calm, t);
    expect(l.level).toBe(4);
    l.pin(undefined);
    expect(l.level).toBe(0);
    expect(changes).toEqual([
      [0, 4],
      [4, 0],
    ]);
    expect(() => l.pin(9)).toThrow(RangeError);
  });
});
