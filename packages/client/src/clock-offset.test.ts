import { describe, expect, it } from 'vitest';
import { ClockOffset } from './clock-offset.js';

describe('ClockOffset', () => {
  it('is zero before any sample', () => {
    expect(new ClockOffset().offsetMs).toBe(0);
  });

  it('takes the midpoint of the round trip as the moment the server stamped the pong', () => {
    const offset = new ClockOffset();
    // Local clock 5 s behind the server; 100 ms round trip, stamped halfway.
    offset.add(1000, 1100, 6050);
    expect(offset.offsetMs).toBe(5000);
  });

  it('smooths later samples so one slow round trip moves the estimate only a little', () => {
    const offset = new ClockOffset();
    offset.add(0, 20, -59_990); // local clock a minute fast
    expect(offset.offsetMs).toBe(-60_000);
    offset.add(1000, 3000, -58_200); // a 2 s round trip stamped early: the sample says -60.2 s
    expect(offset.offsetMs).toBeCloseTo(-60_050, 0);
    for (let i = 0; i < 30; i++) offset.add(10_000 * i, 10_000 * i + 20, 10_000 * i - 59_990);
    expect(offset.offsetMs).toBeCloseTo(-60_000, 0);
    expect(offset.samples).toBe(32);
  });

  it('ignores impossible samples', () => {
    const offset = new ClockOffset();
    offset.add(100, 50, 1000);
    offset.add(0, 10, Number.NaN);
    expect(offset.samples).toBe(0);
  });
});
