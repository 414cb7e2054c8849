import { ErrorCode, RejectedError } from './errors.js';
import { Limits } from './limits.js';

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
 * Checks a chat message's text and returns it trimmed. Throws `RejectedError` with `chat_empty`,
 * `chat_too_long`, `chat_control_chars` or `invalid_utf8`. Forbidden are the C0/C1 controls
 * (newlines included: chat is one line) and the bidi overrides that can make a message render as
 * something other than what was typed: `[\p{Cc}\u202A-\u202E\u2066-\u2069]`.
 */
export function validateChatText(text: string, maxChars: number = Limits.chatMaxChars): string {
  if (!isCleanUnicode(text)) {
    throw new RejectedError(ErrorCode.InvalidUtf8, 'chat text is not valid UTF-8');
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new RejectedError(ErrorCode.ChatEmpty, 'chat text is empty');
  // Length and forbidden characters in one pass, no regex (no unit of a pair is forbidden).
  let length = 0;
  let forbidden = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < trimmed.length) i++;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)) forbidden = true;
    else if (c >= 0x2066 && c <= 0x2069) forbidden = true;
    length++;
  }
  if (length > maxChars) {
    throw new RejectedError(
      ErrorCode.ChatTooLong,
      `chat text is longer than ${maxChars} characters`,
    );
  }
  if (forbidden) {
    throw new RejectedError(ErrorCode.ChatControlChars, 'chat text contains control characters');
  }
  return trimmed;
}
