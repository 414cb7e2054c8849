import {
  Limits,
  codePointLength,
  isCleanUnicode,
  isStreamId,
  parseModAction,
  validateChatText,
  type ModAction,
  type ModRequest,
} from '@roar/protocol/core';
import { ClientErrorCode, RoarClientError } from './errors.js';

/**
 * Checks made before anything is sent, so a request the server would refuse as malformed never
 * costs a round trip. Each throws `invalid_argument` saying what is wrong.
 */
export function invalid(message: string, cause?: unknown): RoarClientError {
  return new RoarClientError(ClientErrorCode.InvalidArgument, message, { cause });
}

export function checkStream(stream: unknown): string {
  if (!isStreamId(stream)) throw invalid(`not a stream id: ${String(stream)}`);
  return stream;
}

/** The chat text as it will be sent (trimmed). */
export function checkChatText(text: unknown): string {
  if (typeof text !== 'string') throw invalid('chat text must be a string');
  try {
    return validateChatText(text);
  } catch (cause) {
    throw invalid(cause instanceof Error ? cause.message : 'invalid chat text', cause);
  }
}

export function checkEmoji(emoji: unknown): string {
  if (
    typeof emoji !== 'string' ||
    emoji.length === 0 ||
    codePointLength(emoji) > Limits.emojiMaxChars ||
    !isCleanUnicode(emoji)
  ) {
    throw invalid(`emoji must be 1-${Limits.emojiMaxChars} characters`);
  }
  return emoji;
}

/**
 * Runs one of the protocol's own parsers (the ones the server runs) on what the app asked for,
 * turning its refusal into `invalid_argument` with the parser's message.
 */
export function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw invalid(cause instanceof Error ? cause.message : 'invalid request', cause);
  }
}

/** A moderator command, checked by the protocol's own parser. */
export function checkModRequest(stream: string, action: ModAction): ModRequest {
  checkStream(stream);
  return { type: 'mod', stream, action: checked(() => parseModAction(action)) };
}
