import type { StateEvent } from '@roar/protocol';
import { STATE_TOMBSTONES } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { StateCache, foldState } from './state-cache.js';

const change = (key: string, version: number, value?: unknown): StateEvent => ({
  type: 'state',
  version,
  changes: {
    [key]: value === undefined ? { version, ts: 1, deleted: true } : { version, ts: 1, value },
  },
});

describe('StateCache', () => {
  it('sends nothing before its load, a snapshot, a delta or nothing after', () => {
    const cache = new StateCache();
    expect(cache.forJoiner(undefined)).toBeUndefined();
    cache.load({ version: 0, floor: 0, entries: new Map() });
    expect(cache.forJoiner(undefined)).toBeUndefined();
    expect(cache.forJoiner(5)).toEqual({ type: 'state', version: 0, changes: {}, snapshot: true });
    cache.load({
      version: 102,
      floor: 100,
      entries: new Map([
        ['a', { version: 101, ts: 1, json: '1' }],
        ['b', { version: 102, ts: 1, json: undefined }],
      ]),
    });
    expect(cache.forJoiner(undefined)?.changes).toEqual({ a: { version: 101, ts: 1, value: 1 } });
    expect(cache.forJoiner(102)).toBeUndefined();
    expect(cache.forJoiner(101)?.changes).toEqual({ b: { version: 102, ts: 1, deleted: true } });
    // Below the floor, or ahead of what is known: the whole state.
    expect(cache.forJoiner(99)?.snapshot).toBe(true);
    expect(cache.forJoiner(500)?.snapshot).toBe(true);
  });

  it('applies changes by version, once, whatever order they come in', () => {
    const cache = new StateCache();
    cache.load({ version: 0, floor: 0, entries: new Map() });
    expect(cache.apply(change('a', 3, 'three'))?.changes.a?.version).toBe(3);
    expect(cache.apply(change('a', 2, 'two'))).toBeUndefined();
    expect(cache.apply(change('a', 3, 'three'))).toBeUndefined();
    // A load that raced the bus keeps what is newer here, and reports what it had missed.
    const missed = cache.load({
      version: 5,
      floor: 0,
      entries: new Map([
        ['a', { version: 1, ts: 1, json: '"one"' }],
        ['b', { version: 5, ts: 1, json: '"five"' }],
      ]),
    });
    expect(missed?.changes).toEqual({ b: { version: 5, ts: 1, value: 'five' } });
    expect(cache.forJoiner(undefined)?.changes.a?.value).toBe('three');
    expect(cache.version).toBe(5);
  });

  it(`keeps ${STATE_TOMBSTONES} tombstones, raising the floor past the ones it drops`, () => {
    const cache = new StateCache();
    cache.load({ version: 0, floor: 0, entries: new Map() });
    for (let i = 1; i <= STATE_TOMBSTONES + 1; i++) cache.apply(change(`k${i}`, i));
    expect(cache.forJoiner(0)?.snapshot).toBe(true);
    expect(Object.keys(cache.forJoiner(1)?.changes ?? {})).toHaveLength(STATE_TOMBSTONES);
  });
});

describe('foldState', () => {
  it('keeps only the newest value of each key, in a copy of the first event', () => {
    const first = change('score', 1, '0/0');
    let waiting = foldState(undefined, first);
    for (let v = 2; v <= 100; v++) waiting = foldState(waiting, change('score', v, `${v}/0`));
    waiting = foldState(waiting, change('score', 50, 'late'));
    waiting = foldState(waiting, change('over', 7, 3));
    expect(waiting.version).toBe(100);
    expect(waiting.changes.score?.value).toBe('100/0');
    expect(Object.keys(waiting.changes)).toEqual(['score', 'over']);
    expect(first.changes.score?.value).toBe('0/0');
  });
});
