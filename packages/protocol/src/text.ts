import { ErrorCode, RejectedError } from './errors.js';
import { Limits } from './limits.js';

// C0/C1 controls (newlines included: chat is one line) and the bidi overrides that can make a
// message render as something other than what was typed.
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** Code points, not UTF-16 units: "at most 500 characters" must not penalise emoji. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    n++;
  }
  return n;
}

/**
 * True when `text` is well-formed Unicode and holds no U+FFFD, which is what a decoder produces for
 * invalid UTF-8: a msgpack string with invalid bytes arrives with U+FFFD in place of them.
 */
export function isCleanUnicode(text: string): boolean {
  return text.isWellFormed() && !text.includes('\uFFFD');
}

/**
 * Checks a chat message's text and returns it trimmed. Throws `RejectedError` with
 * `chat_empty`, `chat_too_long`, `chat_control_chars` or `invalid_utf8`.
 */
export function validateChatText(text: string, maxChars: number = Limits.chatMaxChars): string {
  if (!isCleanUnicode(text)) {
    throw new RejectedError(ErrorCode.InvalidUtf8, 'chat text is not valid UTF-8');
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new RejectedError(ErrorCode.ChatEmpty, 'chat text is empty');
  if (codePointLength(trimmed) > maxChars) {
    throw new RejectedError(
      ErrorCode.ChatTooLong,
      `chat text is longer than ${maxChars} characters`,
    );
  }
  if (FORBIDDEN.test(trimmed)) {
    throw new RejectedError(ErrorCode.ChatControlChars, 'chat text contains control characters');
  }
  return trimmed;
}
