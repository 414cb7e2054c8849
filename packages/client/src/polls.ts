// `@roar/client/polls`: polls and quizzes for a `RoarClient`, in their own entry so an app that
// shows none leaves them out of its bundle.
import {
  ErrorCode,
  parsePollCommand,
  parseVote,
  type PollEvent,
  type PollSpec,
} from '@roar/protocol/core';
import { checkStream, checked } from './checks.js';
import { featureHost, type RoarClient } from './client.js';
import { RoarClientError } from './errors.js';
import { Emitter, type Listener } from './events.js';
import type { FeatureHost } from './feature-host.js';

export type { PollEvent, PollSpec } from '@roar/protocol/core';

/**
 * A poll's state, held for playback alignment like chat (so results never run ahead of the
 * picture): when it opens, at most once per results window while votes change it, `counting`
 * at the close and `closed` with the final result (and a quiz's answer).
 */
export interface StreamPoll {
  stream: string;
  poll: PollEvent;
}

/** What `Polls` emits. */
export interface PollsEvents {
  poll: StreamPoll;
}

/**
 * The polls of the streams a client joins: `poll` events, and votes. Make it before joining (the
 * poll open on a stream comes right after `joined`); it lives as long as the client.
 */
export class Polls {
  readonly #host: FeatureHost;
  readonly #events = new Emitter<PollsEvents>();

  constructor(client: RoarClient) {
    this.#host = featureHost(client);
    this.#host.handle('poll', (stream, event) => {
      const poll = pollOf(event);
      if (poll)
        this.#host.deliver(stream, poll.ts, () => this.#events.emit('poll', { stream, poll }));
    });
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof PollsEvents>(type: K, listener: Listener<PollsEvents[K]>): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Votes `option` (the answer's index) in poll `poll` of `stream`; resolves once the gateway
   * took the vote (it is counted, exactly once per signed-in user across all their devices, with
   * the next batch). Refused with `poll_closed`, `invalid_option`, `already_voted` (the poll does
   * not allow changes), `unauthenticated` (anonymous, and the poll is for signed-in viewers) or
   * `not_found`. Voting the same answer again is accepted and changes nothing.
   */
  async vote(stream: string, poll: string, option: number): Promise<void> {
    const fields = { poll, option };
    const vote = checked(() => parseVote(fields, checkStream(stream), undefined));
    await this.#host.request('vote', (ref) => ({ ...vote, ref }));
  }

  /**
   * Opens a poll on `stream` (moderator or broadcaster of the stream, or admin) and resolves
   * with its id; `poll_open` while another is open there.
   */
  async open(stream: string, spec: PollSpec): Promise<string> {
    const ack = await this.#command(stream, { type: 'open', ...spec });
    if (typeof ack.id !== 'string')
      throw new RoarClientError(ErrorCode.BadFrame, 'poll ack without id', { stream });
    return ack.id;
  }

  /** Closes poll `poll` of `stream` now (the same rights as `open`). */
  async close(stream: string, poll: string): Promise<void> {
    await this.#command(stream, { type: 'close', poll });
  }

  #command(stream: string, action: object) {
    const fields = { action };
    const command = checked(() => parsePollCommand(fields, checkStream(stream), undefined));
    return this.#host.request('poll', (ref) => ({ ...command, ref }));
  }
}

/** The poll of an event from the server, or undefined when it is not one this SDK understands. */
function pollOf(event: { type: string }): PollEvent | undefined {
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
