// `@roar/client/qa`: a stream's Q&A (issue 14) for a `RoarClient`, in its own entry so an app
// that shows none leaves it out of its bundle.
import {
  ErrorCode,
  Limits,
  codePointLength,
  parseQaAction,
  type QaAction,
  type QaEvent,
  type QaQuestion,
} from '@roar/protocol/core';
import { checkStream, checked, invalid } from './checks.js';
import { featureHost, type RoarClient } from './client.js';
import { RoarClientError } from './errors.js';
import { Emitter, type Listener } from './events.js';
import type { FeatureHost } from './feature-host.js';

export type { QaAction, QaQuestion } from '@roar/protocol/core';

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

/** What `Qa` emits. */
export interface QaEvents {
  qa: StreamQa;
}

/**
 * The Q&A of the streams a client joins: `qa` board events, questions and upvotes. Make it
 * before joining (the board comes right after `joined`); it lives as long as the client.
 */
export class Qa {
  readonly #host: FeatureHost;
  readonly #events = new Emitter<QaEvents>();

  constructor(client: RoarClient) {
    this.#host = featureHost(client);
    this.#host.handle('qa', (stream, event) => {
      const board = qaBoard(stream, event as Partial<QaEvent>);
      if (board) this.#host.deliver(stream, board.ts, () => this.#events.emit('qa', board));
    });
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof QaEvents>(type: K, listener: Listener<QaEvents[K]>): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Asks a question on `stream`'s Q&A; resolves with its id once the server stored it (show it
   * to the asker at once: the board may take a second). Refusals: `qa_closed`, `rate_limited`
   * (one question per interval, `retryAfterMs`), `question_too_long`, the chat rules' codes
   * (`banned_term`, `timed_out`...), `unauthenticated` when anonymous.
   */
  async ask(stream: string, text: string): Promise<QuestionSent> {
    checkStream(stream);
    const clean = checkQuestion(text);
    const ack = await this.#host.request('ask', (ref) => ({
      type: 'ask',
      ref,
      stream,
      text: clean,
    }));
    if (typeof ack.id !== 'string' || typeof ack.ts !== 'number') {
      throw new RoarClientError(ErrorCode.BadFrame, 'ask ack without id and ts', { stream });
    }
    return { id: ack.id, ts: ack.ts, held: ack.held === true };
  }

  /**
   * Upvotes question `id`; resolves once it counted. One upvote per user per question, on any
   * device: a repeat is refused with `already_upvoted` (it counted once). Also `own_question`,
   * `question_hidden`, `not_found`, `qa_closed`, `rate_limited`.
   */
  async upvote(stream: string, id: string): Promise<void> {
    checkStream(stream);
    await this.#host.request('upvote', (ref) => ({ type: 'upvote', ref, stream, id }));
  }

  /**
   * A moderator's Q&A action (open, close, hide, show, answer, pick, unpick); resolves once
   * every viewer's board has been sent the change. Needs a token with the moderator or
   * broadcaster role of the stream, or admin. Checked first with the protocol's own rules.
   */
  async moderate(stream: string, action: QaAction): Promise<void> {
    checkStream(stream);
    const checkedAction = checked(() => parseQaAction(action));
    await this.#host.request('qa_mod', (ref) => ({
      type: 'qa_mod',
      ref,
      stream,
      action: checkedAction,
    }));
  }

  /**
   * The user's own questions on `stream`, newest first (their last 20, as they wrote them, with
   * their upvotes): after a reload or on another device. Needs a signed-in user.
   */
  async mine(stream: string): Promise<QaQuestion[]> {
    checkStream(stream);
    const ack = await this.#host.request('qa_mine', (ref) => ({ type: 'qa_mine', ref, stream }));
    return Array.isArray(ack.questions) ? ack.questions : [];
  }
}

/** The board as an app event, or undefined for a malformed one (skipped). */
function qaBoard(stream: string, e: Partial<QaEvent>): StreamQa | undefined {
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

/** The question as it will be sent (trimmed); `invalid_argument` when empty or too long. */
function checkQuestion(text: unknown): string {
  if (typeof text !== 'string') throw invalid('a question must be a string');
  const clean = text.trim();
  if (clean === '' || codePointLength(clean) > Limits.questionMaxChars)
    throw invalid(`a question is 1-${Limits.questionMaxChars} characters`);
  return clean;
}
