import { describe, expect, it } from 'vitest';
import { StallWatch } from './stall-watch.js';

describe('StallWatch', () => {
  it('sees a stall while its backlog is handled, before the late beat, and for the grace after', () => {
    const w = new StallWatch({ thresholdMs: 1000, graceMs: 2000 }, 0);
    expect(w.beat(100)).toBeUndefined();
    expect(w.current(150)).toBeUndefined();
    // Stalled from 200 to 8200: work right after resuming sees the stall in progress.
    expect(w.beat(200)).toBeUndefined();
    expect(w.current(8200)).toEqual({ from: 200, to: 8200 });
    expect(w.current(8250)).toEqual({ from: 200, to: 8250 });
    expect(w.beat(8300)).toEqual({ from: 200, to: 8300 });
    expect(w.count).toBe(1);
    expect(w.beat(9000)).toBeUndefined();
    expect(w.current(9000)).toEqual({ from: 200, to: 8300 });
    expect(w.beat(9900)).toBeUndefined();
    expect(w.beat(10_400)).toBeUndefined();
    expect(w.current(10_400)).toBeUndefined();
    expect(w.count).toBe(1);
  });
});
