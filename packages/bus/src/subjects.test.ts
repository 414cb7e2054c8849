import { describe, expect, it } from 'vitest';
import { SubjectTrie } from './subject-trie.js';
import { Subjects, partitionOf } from './subjects.js';

describe('Subjects', () => {
  it('builds and parses per-stream subjects under a prefix', () => {
    const s = new Subjects('test1');
    expect(s.stream('final-2026', 'chat')).toBe('test1.s.final-2026.chat');
    expect(s.streamAll('x')).toBe('test1.s.x.*');
    expect(s.parseStream('test1.s.final-2026.viewers')).toEqual({
      stream: 'final-2026',
      kind: 'viewers',
    });
    // Any lowercase kind parses (stream features add their own); which are handled is the
    // gateway's to decide.
    expect(s.parseStream('test1.s.x.poll_results')).toEqual({ stream: 'x', kind: 'poll_results' });
    expect(s.stream('x', 'polls')).toBe('test1.s.x.polls');
    expect(s.parseStream('other.s.x.chat')).toBeUndefined();
    expect(s.parseStream('test1.s.x.Bogus')).toBeUndefined();
    expect(s.parseStream('test1.s.x.bo-gus')).toBeUndefined();
    expect(s.parseStream('test1.s.x.')).toBeUndefined();
    expect(s.parseStream('test1.s.chat')).toBeUndefined();
    expect(s.report(3)).toBe('test1.agg.report.3');
  });

  it('rejects prefixes that would break subjects', () => {
    expect(() => new Subjects('a b')).toThrow();
    expect(() => new Subjects('a.*')).toThrow();
    expect(() => new Subjects('')).toThrow();
  });

  it('spreads streams over partitions stably', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[partitionOf(`stream-${i}`, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(partitionOf('abc', 7)).toBe(partitionOf('abc', 7));
    expect(partitionOf('abc', 1)).toBe(0);
  });
});

describe('SubjectTrie', () => {
  it('prunes removed branches', () => {
    const t = new SubjectTrie<number>();
    t.add('a.b.c', 1);
    t.add('a.*.c', 2);
    expect(t.match('a.b.c').sort()).toEqual([1, 2]);
    t.remove('a.b.c', 1);
    t.remove('a.*.c', 2);
    expect(t.match('a.b.c')).toEqual([]);
  });
});
