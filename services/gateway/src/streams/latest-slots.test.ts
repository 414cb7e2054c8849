import type { ReactionsEvent, ViewersEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { LatestSlots } from './latest-slots.js';

const viewers = (total: number): ViewersEvent => ({ type: 'viewers', total, text: `${total}` });
const burst = (n: number): ReactionsEvent => ({
  type: 'reactions',
  counts: { '🔥': n },
  windowMs: 100,
});
const add = (w: ReactionsEvent | undefined, b: ReactionsEvent): ReactionsEvent =>
  w === undefined
    ? { ...b, counts: { ...b.counts } }
    : {
        ...w,
        counts: { '🔥': (w.counts['🔥'] ?? 0) + (b.counts['🔥'] ?? 0) },
        windowMs: w.windowMs + b.windowMs,
      };

function take(slots: LatestSlots, now: number, spacing: Record<string, number> = {}): unknown[] {
  const out: Parameters<LatestSlots['take']>[2] = [];
  slots.take(now, spacing, out);
  return out.map((e) => e.event);
}

describe('LatestSlots', () => {
  it('keeps only the newest value per key, in the order keys were declared', () => {
    const slots = new LatestSlots(['reactions', 'viewers']);
    expect(slots.waiting).toBe(false);
    slots.set('viewers', viewers(1));
    slots.set('viewers', viewers(2));
    slots.merge('reactions', burst(1), add);
    slots.merge('reactions', burst(2), add);
    slots.set('poll', { type: 'viewers', total: 9, text: '9' });
    expect(slots.waiting).toBe(true);
    expect(take(slots, 10)).toEqual([
      { type: 'reactions', counts: { '🔥': 3 }, windowMs: 200 },
      viewers(2),
      { type: 'viewers', total: 9, text: '9' },
    ]);
    expect(slots.waiting).toBe(false);
    expect(take(slots, 20)).toEqual([]);
  });

  it('holds a key back until its spacing has passed since its last push', () => {
    const slots = new LatestSlots(['viewers']);
    slots.set('viewers', viewers(1));
    expect(take(slots, 1000, { viewers: 500 })).toEqual([viewers(1)]);
    slots.set('viewers', viewers(2));
    slots.set('other', viewers(7));
    expect(take(slots, 1200, { viewers: 500 })).toEqual([viewers(7)]);
    expect(slots.waiting).toBe(true);
    slots.set('viewers', viewers(3));
    expect(take(slots, 1500, { viewers: 500 })).toEqual([viewers(3)]);
    expect(slots.waiting).toBe(false);
  });

  it("spaces the keys it does not name by '*' (features' values, shed under load)", () => {
    const slots = new LatestSlots(['viewers']);
    slots.set('state', viewers(1));
    expect(take(slots, 1000, { '*': 250 })).toEqual([viewers(1)]);
    slots.set('state', viewers(2));
    slots.set('state', viewers(3));
    slots.set('viewers', viewers(5));
    // The count has its own (none here); the feature's key waits for its 250 ms.
    expect(take(slots, 1100, { '*': 250 })).toEqual([viewers(5)]);
    expect(take(slots, 1249, { '*': 250 })).toEqual([]);
    expect(take(slots, 1250, { '*': 250 })).toEqual([viewers(3)]);
    slots.set('state', viewers(4));
    expect(take(slots, 1260, { '*': 250, state: 0 })).toEqual([viewers(4)]);
  });

  it('offers a batch being written the newer whole values only, copied, and keeps them waiting', () => {
    const slots = new LatestSlots(['reactions', 'viewers'], ['reactions']);
    const fold = (w: ViewersEvent | undefined, v: ViewersEvent): ViewersEvent => {
      if (w === undefined) return { ...v };
      w.total = v.total;
      w.text = v.text;
      return w;
    };
    slots.merge('viewers', viewers(1), fold);
    take(slots, 0);
    const carried = new Map(slots.lastTaken.map((v) => [v.key, v.gen]));
    expect(slots.newer({}, carried)).toBeUndefined();
    slots.merge('viewers', viewers(2), fold);
    slots.merge('reactions', burst(1), add);
    slots.set('poll', viewers(7));
    const newer = slots.newer({ poll: 100 }, carried) ?? [];
    // Not the burst (an increment), not the spaced key: the count, as it was when offered.
    expect(newer.map((v) => v.event.event)).toEqual([viewers(2)]);
    slots.merge('viewers', viewers(3), fold);
    expect(newer[0]?.event.event).toEqual(viewers(2));
    carried.set(1, newer[0]?.gen ?? 0);
    expect(slots.newer({ poll: 100 }, carried)?.map((v) => v.event.event)).toEqual([viewers(3)]);
    // Still waiting: the next take has the newest, with its generation.
    expect(take(slots, 10, { poll: 100 })).toEqual([burst(1), viewers(3)]);
    expect(slots.lastTaken.map((v) => v.gen)).toEqual([1, 3]);
  });

  it('tells how long each value took to reach every slice, erring long when it keeps too many', () => {
    const clock = { t: 0 };
    const slots = new LatestSlots(['viewers'], [], () => clock.t);
    const seen: [number, string][] = [];
    const observe = (ms: number, key: string) => void seen.push([ms, key]);
    for (let t = 0; t < 3; t++) {
      clock.t = t * 10;
      slots.set('viewers', viewers(t));
    }
    slots.reached(0, 2, 100, observe);
    expect(seen).toEqual([
      [100, 'viewers'],
      [90, 'viewers'],
    ]);
    // 500 more values while no slice is written: the oldest times are kept.
    for (let t = 0; t < 500; t++) {
      clock.t = 1000 + t;
      slots.set('viewers', viewers(t));
    }
    seen.length = 0;
    slots.reached(0, 503, 2000, observe);
    expect(seen.length).toBeLessThanOrEqual(128);
    // The third value (set at 20) waited all along, the first of the 500 since 1000.
    expect(seen.slice(0, 2)).toEqual([
      [1980, 'viewers'],
      [1000, 'viewers'],
    ]);
    expect(seen.map(([ms]) => ms)).toEqual([...seen.map(([ms]) => ms)].sort((a, b) => b - a));
  });
});
