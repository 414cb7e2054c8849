import {
  parseClientMessage,
  type PollAction,
  type PollEvent,
  type PollRequest,
  type VoteRequest,
} from '@roar/protocol/core';
import { ClientErrorCode, RoarClientError } from './errors.js';

// Polls: the SDK's checks for `vote` and `poll`, and the event it emits. The client class adds
// `vote`, `openPoll` and `closePoll` on top of these.

/**
 * A poll's state, held for playback alignment like chat (so results never run ahead of the
 * picture): when it opens, at most once per results window while votes change it, `counting`
 * at the close and `closed` with the final result (and a quiz's answer).
 */
export interface StreamPoll {
  stream: string;
  poll: PollEvent;
}

/** Checks a message with the protocol's own parser; `invalid_argument` without sending. */
function check<T extends VoteRequest | PollRequest>(fields: Record<string, unknown>): T {
  try {
    return parseClientMessage(fields) as T;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : 'invalid poll request';
    throw new RoarClientError(ClientErrorCode.InvalidArgument, message, { cause });
  }
}

export function checkVote(stream: string, poll: string, option: number): VoteRequest {
  return check<VoteRequest>({ type: 'vote', stream, poll, option });
}

export function checkPollCommand(stream: string, action: PollAction): PollRequest {
  return check<PollRequest>({ type: 'poll', stream, action });
}

/** The poll of an event from the server, or undefined when it is not one this SDK understands. */
export function pollOf(event: { type: string }): PollEvent | undefined {
  const e = event as Partial<PollEvent>;
  const ok =
    e.type === 'poll' &&
    typeof e.id === 'string' &&
    typeof e.ts === 'number' &&
    Array.isArray(e.options) &&
    Array.isArray(e.votes) &&
    Array.isArray(e.percents);
  return ok ? (event as PollEvent) : undefined;
}
