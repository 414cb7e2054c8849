import { describe, expect, it } from 'vitest';
import { ChatRecovery } from './chat-recovery.js';

describe('ChatRecovery', () => {
  it('hands out holes and an outage once due, one read at a time', () => {
    const r = new ChatRecovery();
    r.noteHole('A', 5, 2, 1000);
    r.noteOutage(900, 1100);
    // An outage noted again before it was recovered keeps its earliest start.
    r.noteOutage(950, 1200);
    expect(r.takeDue(1400, 500)).toBeUndefined();
    const first = r.takeDue(1500, 500);
    expect(first).toEqual({ holes: [{ origin: 'A', from: 3, to: 4, at: 1000 }], since: undefined });
    expect(r.holes).toEqual([]);
    // The outage is due now, but a read is in flight.
    expect(r.takeDue(1700, 500)).toBeUndefined();
    r.settled();
    expect(r.takeDue(1700, 500)).toEqual({ holes: [], since: 900 });
    r.settled();
    expect(r.takeDue(5000, 500)).toBeUndefined();
  });
});
