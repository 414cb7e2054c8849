import { compactCount, pollPercents, type PollEvent } from '@roar/protocol';
import type { StoredPoll } from '@roar/store';

/**
 * What viewers are shown of `poll` in `state` at `ts`: the counts, whole percentages and the
 * total for display; a quiz's answer only once `closed`.
 */
export function pollEvent(poll: StoredPoll, state: PollEvent['state'], ts: number): PollEvent {
  const event: PollEvent = {
    type: 'poll',
    id: poll.id,
    ts,
    question: poll.question,
    options: poll.options,
    state,
    endsAt: poll.endsAt,
    allowChange: poll.allowChange,
    anonymous: poll.anonymous,
    votes: poll.votes,
    total: poll.voters,
    percents: pollPercents(poll.votes),
    text: `${compactCount(poll.voters)} ${poll.voters === 1 ? 'vote' : 'votes'}`,
  };
  if (state === 'closed' && poll.correct !== null) event.correct = poll.correct;
  return event;
}

/** A poll as a gateway first hears of it on the bus (its quiz answer is not told there). */
export function pollFromEvent(event: PollEvent): StoredPoll {
  return {
    id: event.id,
    question: event.question,
    options: event.options,
    openedAt: event.ts,
    endsAt: event.endsAt,
    closedAt: event.state === 'open' ? null : event.ts,
    correct: null,
    allowChange: event.allowChange,
    anonymous: event.anonymous,
    by: '',
    votes: event.votes,
    voters: event.total,
    final: false,
    rev: 0,
  };
}

/** True when `event` is a well-formed poll event (bus input is checked before it is used). */
export function isPollEvent(event: { type: string }): event is PollEvent {
  const e = event as Partial<PollEvent>;
  return (
    e.type === 'poll' &&
    typeof e.id === 'string' &&
    typeof e.ts === 'number' &&
    (e.state === 'open' || e.state === 'counting') &&
    Array.isArray(e.options) &&
    Array.isArray(e.votes) &&
    e.votes.length === e.options.length &&
    typeof e.total === 'number' &&
    (e.endsAt === null || typeof e.endsAt === 'number')
  );
}
