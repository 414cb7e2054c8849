import { describe, expect, it } from 'vitest';
import { ErrorCode, RejectedError } from './errors.js';
import { codePointLength, validateChatText } from './text.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RejectedError) return e.code;
    throw e;
  }
  return undefined;
}

describe('validateChatText', () => {
  it('trims and accepts ordinary text, emoji and other scripts', () => {
    expect(validateChatText('  what a catch!  ')).toBe('what a catch!');
    expect(validateChatText('शानदार 🏏🔥')).toBe('शानदार 🏏🔥');
  });

  it('counts code points, so 500 emoji fit and 501 do not', () => {
    expect(codePointLength('🔥🔥')).toBe(2);
    expect(validateChatText('🔥'.repeat(500))).toHaveLength(1000);
    expect(codeOf(() => validateChatText('🔥'.repeat(501)))).toBe(ErrorCode.ChatTooLong);
    expect(codeOf(() => validateChatText('abc', 2))).toBe(ErrorCode.ChatTooLong);
  });

  it('rejects empty, control characters, bidi overrides and invalid UTF-8', () => {
    expect(codeOf(() => validateChatText('   '))).toBe(ErrorCode.ChatEmpty);
    expect(codeOf(() => validateChatText('a\u0000b'))).toBe(ErrorCode.ChatControlChars);
    expect(codeOf(() => validateChatText('line\nbreak'))).toBe(ErrorCode.ChatControlChars);
    expect(codeOf(() => validateChatText('a\u0085b'))).toBe(ErrorCode.ChatControlChars);
    expect(codeOf(() => validateChatText('abc\u202Egnp.exe'))).toBe(ErrorCode.ChatControlChars);
    expect(codeOf(() => validateChatText('bad \uDC00'))).toBe(ErrorCode.InvalidUtf8);
    expect(codeOf(() => validateChatText('bad \uFFFD'))).toBe(ErrorCode.InvalidUtf8);
  });

  it('forbids exactly the controls and bidi overrides of the rule', () => {
    const rule = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const text = `a${String.fromCharCode(c)}b`;
      const code = rule.test(text) ? ErrorCode.ChatControlChars : undefined;
      if (c === 0xfffd) continue;
      expect(
        codeOf(() => validateChatText(text)),
        c.toString(16),
      ).toBe(code);
    }
    expect(codeOf(() => validateChatText('ok 🔥\u{1F3CF} \u{E0001}'))).toBeUndefined();
  });
});
