import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { RecentChat, type RecentEntry } from './recent-chat.js';

const entry = (id: string): RecentEntry => ({
  id,
  event: EncodedEvent.of<ChatEvent>({
    type: 'chat',
    id,
    ts: 1,
    user: { id: 'u', name: 'u' },
    text: id,
  }),
});
/** A message of `origin` at position `seq`. */
const at = (origin: string, seq: number): RecentEntry => {
  const id = `${origin}${seq}`;
  return {
    id,
    event: EncodedEvent.of<ChatEvent>({
      type: 'chat',
      id,
      ts: 1,
      user: { id: 'u', name: 'u' },
      text: id,
      origin,
      seq,
    }),
  };
};
const ids = (entries: RecentEntry[] | undefined): string[] | undefined => entries?.map((e) => e.id);

describe('RecentChat', () => {
  it('keeps the newest entries up to its capacity', () => {
    const r = new RecentChat(3);
    for (let i = 0; i < 100; i++) r.push(entry(String(i)));
    expect(ids(r.last(10))).toEqual(['97', '98', '99']);
    expect(ids(r.last(2))).toEqual(['98', '99']);
    expect(r.last(0)).toEqual([]);
  });

  it('returns what came after an id, or undefined for a gap', () => {
    const r = new RecentChat(3);
    for (const id of ['a', 'b', 'c', 'd']) r.push(entry(id));
    expect(ids(r.after('b'))).toEqual(['c', 'd']);
    expect(ids(r.after('d'))).toEqual([]);
    expect(r.after('a')).toBeUndefined(); // pushed out of the window
    expect(r.after('zzz')).toBeUndefined();
  });

  it('seeds stored history before live entries without duplicates', () => {
    const r = new RecentChat(4);
    r.push(entry('c'));
    r.push(entry('d'));
    r.seed([entry('a'), entry('b'), entry('c')]);
    expect(ids(r.last(10))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('removes by id and clears', () => {
    const r = new RecentChat(4);
    r.push(entry('a'));
    r.push(entry('b'));
    expect(r.remove('a')).toBe(true);
    expect(r.remove('a')).toBe(false);
    expect(ids(r.last(5))).toEqual(['b']);
    r.clear();
    expect(r.size).toBe(0);
  });

  describe('positions', () => {
    it('reports a jump within an origin as a hole, and a resume across it as a gap', () => {
      const r = new RecentChat(50);
      r.seed([]);
      expect(r.push(at('A', 1))).toBe(0);
      expect(r.push(at('B', 1))).toBe(0);
      expect(r.push(at('A', 2))).toBe(0);
      expect(r.push(at('A', 5))).toBe(2);
      expect(r.push(at('B', 2))).toBe(0);
      expect(r.resume('A2')).toMatchObject({ gap: true });
      expect(ids(r.resume('A2').entries)).toEqual(['A5', 'B2']);
      // After the hole: nothing after `since` is missing.
      expect(r.resume('A5')).toMatchObject({ gap: false });
      expect(r.resume('A1')).toMatchObject({ gap: true });
      expect(r.resume('nope')).toEqual({ entries: undefined, gap: true });
    });

    it('clears the hole when its messages were recovered, not when they were given up', () => {
      const r = new RecentChat(50);
      r.seed([]);
      r.push(at('A', 1));
      r.push(at('A', 4));
      r.settle('A', 3, false);
      expect(r.resume('A1').gap).toBe(true);
      // The recovered messages come late: not a hole, not a new jump.
      expect(r.push(at('A', 2))).toBe(0);
      expect(r.push(at('A', 3))).toBe(0);
      r.settle('A', 3, true);
      expect(r.resume('A1').gap).toBe(false);
      expect(r.push(at('A', 5))).toBe(0);
    });

    it('finds holes in stored history: a failed write in the middle, a first message missing', () => {
      const r = new RecentChat(50);
      // Live messages before the history arrives: a first-seen origin is not judged yet.
      expect(r.push(at('A', 7))).toBe(0);
      r.seed([at('A', 1), at('B', 3), at('A', 2), at('A', 6), at('B', 4)]);
      expect(ids(r.last(10))).toEqual(['A1', 'B3', 'A2', 'A6', 'B4', 'A7']);
      // A3..A5 were never stored; B1..B2 are not in the window either.
      expect(r.resume('A1').gap).toBe(true);
      expect(r.resume('A2').gap).toBe(true);
      expect(r.resume('A6').gap).toBe(false);
      // A later first-seen origin that does not start at 1 is a hole after history is known.
      r.push(at('C', 9));
      expect(r.resume('A7').gap).toBe(true);
      r.push(at('D', 1));
      expect(r.resume('C9').gap).toBe(false);
    });

    it('does not judge messages without a position (held ones)', () => {
      const r = new RecentChat(10);
      r.seed([]);
      r.push(at('A', 1));
      r.push(entry('held'));
      r.push(at('A', 2));
      expect(r.resume('A1')).toMatchObject({ gap: false });
      expect(ids(r.resume('A1').entries)).toEqual(['held', 'A2']);
    });

    it('a duplicate stored entry is served once', () => {
      const r = new RecentChat(10);
      r.seed([at('A', 1), at('A', 2), at('A', 2), at('A', 3)]);
      expect(ids(r.last(10))).toEqual(['A1', 'A2', 'A3']);
      expect(r.resume('A1').gap).toBe(false);
    });
  });
});
