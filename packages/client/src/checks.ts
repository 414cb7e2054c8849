import {
  Limits,
  codePointLength,
  isCleanUnicode,
  isStreamId,
  parseClientMessage,
  validateChatText,
  type ModAction,
  type ModRequest,
  type WidgetRequest,
} from '@roar/protocol/core';
import { ClientErrorCode, RoarClientError } from './errors.js';

/**
 * Checks made before anything is sent, so a request the server would refuse as malformed never
 * costs a round trip. Each throws `invalid_argument` saying what is wrong.
 */
function invalid(message: string, cause?: unknown): RoarClientError {
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

/** A moderator command, checked by the protocol's own parser (the one the server runs). */
export function checkModRequest(stream: string, action: ModAction): ModRequest {
  try {
    const message = parseClientMessage({ type: 'mod', stream, action });
    if (message.type === 'mod') return message;
  } catch (cause) {
    throw invalid(cause instanceof Error ? cause.message : 'invalid action', cause);
  }
  throw invalid('not a moderation action');
}

/** A live-state write, checked by the protocol's own parser (key, value size, version). */
export function checkWidgetRequest(fields: Omit<WidgetRequest, 'type'>): WidgetRequest {
  try {
    const message = parseClientMessage({ ...fields, type: 'widget' });
    if (message.type === 'widget') return message;
  } catch (cause) {
    throw invalid(cause instanceof Error ? cause.message : 'invalid state write', cause);
  }
  throw invalid('not a state write');
}
