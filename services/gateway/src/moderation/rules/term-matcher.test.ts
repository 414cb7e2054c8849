import { describe, expect, it } from 'vitest';
import { TermMatcher } from './term-matcher.js';
import { MAX_EXPANSION, fold, foldedWords, words } from './text-match.js';

/** The matcher before the automaton: every term at every position. Slow, plainly right. */
function naiveFind(terms: readonly string[], text: string): boolean {
  const compiled = terms.map((t) => words(t)).filter((w) => w.length > 0);
  const tokens = words(text);
  const joined: string[] = [];
  let run = '';
  for (const t of tokens) {
    if ([...t].length === 1) run += t;
    else {
      if (run.length > 1) joined.push(run);
      run = '';
    }
  }
  if (run.length > 1) joined.push(run);
  return compiled.some((term) => {
    if (term.length === 1) return tokens.includes(term[0]!) || joined.includes(term[0]!);
    for (let i = 0; i + term.length <= tokens.length; i++)
      if (term.every((w, j) => tokens[i + j] === w)) return true;
    return false;
  });
}

/** A deterministic generator, so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('TermMatcher (automaton)', () => {
  it('agrees with the term-by-term matcher on random terms and texts', () => {
    const vocab = ['a', 'b', 'ab', 'ba', 'c', 'bad', 'x', 'a.b', 'b4d', 'xyz'];
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const pick = (n: number): string =>
        Array.from(
          { length: 1 + Math.floor(r() * n) },
          () => vocab[Math.floor(r() * vocab.length)],
        ).join(' ');
      const terms = Array.from({ length: 1 + Math.floor(r() * 5) }, () => pick(4));
      const m = new TermMatcher(terms);
      for (let k = 0; k < 10; k++) {
        const text = pick(12);
        expect(m.find(text) !== undefined, `seed ${seed}: ${JSON.stringify({ terms, text })}`).toBe(
          naiveFind(terms, text),
        );
      }
    }
  });

  it('finds a term that overlaps a longer near-miss (failure links)', () => {
    const m = new TermMatcher(['a a a b', 'a a c']);
    expect(m.find('a a a a c')).toBe('a a c');
    expect(m.find('a a a a a b')).toBe('a a a b');
    expect(m.find('a a a a a')).toBeUndefined();
  });

  it('checks crafted 31-word terms against "a a a …" in one pass', () => {
    const terms = Array.from({ length: 200 }, (_, i) => `${'a '.repeat(30)}z${i.toString(36)}`);
    const m = new TermMatcher(terms);
    expect(m.find(`${'a '.repeat(249)}a`)).toBeUndefined();
    expect(m.find(`${'a '.repeat(249)}zq`)).toBe(`${'a '.repeat(30)}zq`);
  });
});

describe('fold', () => {
  it('never grows a character past MAX_EXPANSION (U+FDFA folds to a space)', () => {
    expect(fold('\ufdfa'.repeat(499)).trim()).toBe('');
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (fold(c).length > MAX_EXPANSION) throw new Error(`U+${cp.toString(16)} folds too long`);
    }
  });
});

/** The word split before the hand-written scan: a Unicode-property regex and two replaces. */
function referenceWords(folded: string): string[] {
  return folded
    .split(/[^\p{L}\p{N}@$!|]+/u)
    .map((w) => w.replace(/^[!|]+|[!|]+$/g, ''))
    .filter((w) => w.length > 0)
    .map((w) => {
      let out = '';
      for (const ch of w)
        out +=
          (
            {
              '0': 'o',
              '1': 'i',
              '4': 'a',
              $: 's',
              '@': 'a',
              '!': 'i',
              '|': 'l',
              а: 'a',
              ο: 'o',
            } as Record<string, string>
          )[ch] ?? ch;
      return out.replace(/(.)\1{2,}/gu, '$1');
    });
}

describe('foldedWords', () => {
  it('splits and maps as the regex pipeline did, on random text', () => {
    // Letters, digits, look-alikes, symbols, marks, spaces, astral letters and emoji.
    const alphabet = [
      'a',
      'b',
      'o',
      '0',
      '1',
      '4',
      '$',
      '@',
      '!',
      '|',
      'а',
      'ο',
      'é',
      '.',
      ' ',
      '-',
      '𝐀',
      '😀',
      'ß',
      '日',
    ];
    for (let seed = 1; seed <= 500; seed++) {
      const r = random(seed);
      let text = '';
      for (let i = 0, n = Math.floor(r() * 30); i < n; i++) {
        const ch = alphabet[Math.floor(r() * alphabet.length)] as string;
        text += r() < 0.2 ? ch.repeat(3) : ch;
      }
      const folded = fold(text);
      expect(foldedWords(folded), JSON.stringify(text)).toEqual(referenceWords(folded));
    }
  });
});
