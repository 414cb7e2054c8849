import { randomBytes } from 'node:crypto';
import type { Bus, Subjects } from '@roar/bus';
import { EncodedEvent, ErrorCode, RoarError, type PollSpec } from '@roar/protocol';
import { pollEnd, pollIsOpen, type Store, type StoredPoll } from '@roar/store';
import { requireModerator, type Actor } from '../../moderation/actor.js';
import { pollEvent } from './poll-view.js';

export interface PollDeskOptions {
  store: Store;
  bus: Bus;
  subjects: Subjects;
  now: () => number;
}

/**
 * Opening, closing and reading polls, for the admin API and the moderator's `poll` command
 * alike: the moderator or broadcaster of the stream (or an admin, or an API key) may; each
 * change is written to the store first, then audited, then announced on the stream's `poll`
 * subject so every gateway holding the stream learns it at once. A failed store write announces
 * nothing.
 */
export class PollDesk {
  readonly #o: PollDeskOptions;

  constructor(options: PollDeskOptions) {
    this.#o = options;
  }

  /** Opens a poll; `poll_open` (409) while another is open on the stream. */
  async open(actor: Actor, stream: string, spec: PollSpec): Promise<StoredPoll> {
    requireModerator(actor, stream);
    const now = this.#o.now();
    const poll = await this.#o.store.polls.open(
      stream,
      {
        id: randomBytes(8).toString('base64url'),
        question: spec.question,
        options: spec.options,
        openedAt: now,
        endsAt: spec.durationS === undefined ? null : now + spec.durationS * 1000,
        correct: spec.correct ?? null,
        allowChange: spec.allowChange ?? false,
        anonymous: spec.anonymous ?? false,
        by: actor.id,
      },
      now,
    );
    if (!poll)
      throw new RoarError(
        ErrorCode.PollOpen,
        'another poll is open on this stream: close it first',
      );
    await this.#audit(actor, stream, 'poll_open', poll.id, { question: poll.question });
    this.#announce(stream, poll, 'open', poll.openedAt);
    return poll;
  }

  /** Closes a poll now (`not_found` when there is no such poll); closing it again is a no-op. */
  async close(actor: Actor, stream: string, id: string): Promise<StoredPoll> {
    requireModerator(actor, stream);
    const before = await this.#o.store.polls.get(stream, id);
    if (!before) throw new RoarError(ErrorCode.NotFound, `no poll ${id} on ${stream}`);
    if (before.closedAt !== null) return before;
    const poll = await this.#o.store.polls.close(stream, id, this.#o.now());
    if (!poll) throw new RoarError(ErrorCode.NotFound, `no poll ${id} on ${stream}`);
    await this.#audit(actor, stream, 'poll_close', id);
    this.#announce(stream, poll, 'counting', pollEnd(poll) ?? this.#o.now());
    return poll;
  }

  /** One poll, or the stream's current one (`id` undefined); `not_found` when none. */
  async get(actor: Actor, stream: string, id?: string): Promise<StoredPoll> {
    requireModerator(actor, stream);
    const polls = this.#o.store.polls;
    const poll = id === undefined ? await polls.current(stream) : await polls.get(stream, id);
    if (!poll) throw new RoarError(ErrorCode.NotFound, `no such poll on ${stream}`);
    return poll;
  }

  /** True while `poll` takes votes, by the desk's clock. */
  isOpen(poll: StoredPoll): boolean {
    return pollIsOpen(poll, this.#o.now());
  }

  #announce(stream: string, poll: StoredPoll, state: 'open' | 'counting', ts: number): void {
    const bytes = EncodedEvent.of(pollEvent(poll, state, ts)).msgpack;
    this.#o.bus.publish(this.#o.subjects.stream(stream, 'poll'), bytes);
  }

  async #audit(
    actor: Actor,
    stream: string,
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await this.#o.store.moderation.appendAudit({
      at: this.#o.now(),
      scope: stream,
      actor: actor.id,
      action,
      target,
      ...(details ? { details } : {}),
    });
  }
}
