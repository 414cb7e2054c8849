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
