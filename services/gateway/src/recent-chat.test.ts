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
});
