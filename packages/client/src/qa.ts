import {
  Limits,
  codePointLength,
  parseClientMessage,
  type QaAction,
  type QaEvent,
  type QaModRequest,
  type QaQuestion,
} from '@roar/protocol/core';
import { ClientErrorCode, RoarClientError } from './errors.js';

// The SDK's Q&A (issue 14): the board event, the checks made before sending, the ask result.

/**
 * A stream's Q&A board: the top questions (most upvotes first), the picked one (highlight it),
 * whether questions are accepted. Latest-value: each replaces the one before; at most about one
 * a second. Held for playback alignment like chat, so a picked question never shows before the
 * video reaches the moment it was picked.
 */
export interface StreamQa {
  stream: string;
  /** Grows with every change (it starts over only when the server's store lost the Q&A). */
  rev: number;
  open: boolean;
  top: QaQuestion[];
  picked: QaQuestion | null;
  /** Server time of the newest change shown. */
  ts: number;
}

/** A question the server accepted. */
export interface QuestionSent {
  /** The question's id, as on the board and for `upvote`. */
  id: string;
  /** Server time, ms since the epoch. */
  ts: number;
  /** True when it waits for a moderator (automod) before it can reach the board. */
  held: boolean;
}

/** The board as an app event, or undefined for a malformed one (skipped). */
export function qaBoard(stream: string, e: Partial<QaEvent>): StreamQa | undefined {
  if (typeof e.rev !== 'number' || typeof e.ts !== 'number' || !Array.isArray(e.top)) return;
  return {
    stream,
    rev: e.rev,
    open: e.open === true,
    top: e.top,
    picked: e.picked ?? null,
    ts: e.ts,
  };
}

function invalid(message: string, cause?: unknown): RoarClientError {
  return new RoarClientError(ClientErrorCode.InvalidArgument, message, { cause });
}

/** The question as it will be sent (trimmed); `invalid_argument` when empty or too long. */
export function checkQuestion(text: unknown): string {
  if (typeof text !== 'string') throw invalid('a question must be a string');
  const clean = text.trim();
  if (clean === '' || codePointLength(clean) > Limits.questionMaxChars)
    throw invalid(`a question is 1-${Limits.questionMaxChars} characters`);
  return clean;
}

/** A moderator's Q&A action, checked by the protocol's own parser (the one the server runs). */
export function checkQaRequest(stream: string, action: QaAction): QaModRequest {
  try {
    const message = parseClientMessage({ type: 'qa_mod', stream, action });
    if (message.type === 'qa_mod') return message;
  } catch (cause) {
    throw invalid(cause instanceof Error ? cause.message : 'invalid action', cause);
  }
  throw invalid('not a Q&A action');
}
