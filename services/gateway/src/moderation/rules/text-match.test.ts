import { describe, expect, it } from 'vitest';
import { TermMatcher } from './term-matcher.js';
import { hasLink, isEmoteOnly, sameMessageKey } from './text-match.js';

describe('TermMatcher', () => {
  const m = new TermMatcher(['badword', 'two words']);

  it('catches look-alike spellings', () => {
    for (const text of [
      'this is BADWORD',
      'b4dw0rd!',
      'bаdwоrd', // Cyrillic а and о
      'b a d w o r d',
      'b.a.d.w.o.r.d',
      'baaaadword',
      'ｂａｄｗｏｒｄ', // fullwidth
      'bádwörd',
      'bad\u200bword',
      'two   WORDS here',
    ]) {
      expect(m.find(text), text).toBeDefined();
    }
  });

  it('does not flag words that merely contain a term (Scunthorpe)', () => {
    const ass = new TermMatcher(['ass']);
    for (const text of ['a classic assignment', 'passion', 'embassy'])
      expect(ass.find(text), text).toBeUndefined();
    expect(m.find('bad words, two wordy')).toBeUndefined();
    expect(new TermMatcher([]).find('anything')).toBeUndefined();
  });
});

describe('text helpers', () => {
  it('keys repeats of the same message together', () => {
    expect(sameMessageKey('What a SHOT!!')).toBe(sameMessageKey('what a shot'));
    expect(sameMessageKey('what a shot')).not.toBe(sameMessageKey('what a catch'));
  });

  it('keys ASCII text as the Unicode rule does', () => {
    const rule = (t: string): string =>
      t
        .toLowerCase()
        .replace(/[\p{P}\p{Z}\s]+/gu, ' ')
        .trim();
    const ascii = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)).join('');
    const texts = ['', '  ', '!!', ' What a SHOT!! ', 'a\t\nb', '$5 + <3 ~ ^_^', ascii];
    for (let i = 0; i < 300; i++) {
      let t = '';
      for (let j = (i * 7) % 40; j > 0; j--) t += ascii[(i * 31 + j * 17) % 0x80];
      texts.push(t);
    }
    texts.push('x'.repeat(3000) + '!! X', 'héllo, WORLD!', '  ¡ok!  ');
    for (const t of texts) expect(sameMessageKey(t), JSON.stringify(t)).toBe(rule(t));
  });

  it('finds links', () => {
    for (const t of ['see https://x.y/z', 'www.example.org', 'go to spam.com now', 'bit.ly thing'])
      expect(hasLink(t), t).toBe(true);
    for (const t of ['what a shot', 'score 3.5 overs', 'e.g. this'])
      expect(hasLink(t), t).toBe(false);
  });

  it('recognises emote-only messages', () => {
    for (const t of ['🔥', '🔥 🔥 👏🏽', '🇮🇳', '👨‍👩‍👧']) expect(isEmoteOnly(t), t).toBe(true);
    for (const t of ['🔥 nice', '123', 'ok']) expect(isEmoteOnly(t), t).toBe(false);
  });
});
