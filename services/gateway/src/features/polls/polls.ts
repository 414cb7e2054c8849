import type { Bus, Subjects } from '@roar/bus';
import {
  ErrorCode,
  RoarError,
  type EncodedEvent,
  type PollEvent,
  type PollRequest,
  type VoteRequest,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { pollEnd, type Store } from '@roar/store';
import type { GatewayConfig } from '../../base/gateway-config.js';
import type { Route } from '../../base/http.js';
import type { GatewayMetrics } from '../../base/metrics.js';
import { RateLimiter } from '../../base/token-bucket.js';
import type { AdminRoute } from '../../moderation/admin-router.js';
import { actorOf } from '../../moderation/actor.js';
import type { Fanout } from '../../streams/fanout.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { StreamFeature } from '../feature.js';
import { BallotBox } from './ballot-box.js';
import { PollCounter } from './poll-counter.js';
import { PollDesk } from './poll-desk.js';
import { PollMetrics } from './poll-metrics.js';
import { pollRoutes } from './poll-routes.js';
import { isPollEvent, pollFromEvent } from './poll-view.js';

export interface PollsOptions {
  config: Pick<GatewayConfig, 'pollFlushMs' | 'pollResultsMs' | 'pollGraceMs'>;
  store: Store;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  fanout: Pick<Fanout, 'markDirty'>;
  log: Logger;
  now: () => number;
}

/** How much longer than `pollResultsMs` results wait at each degradation level. */
const RESULTS_SLOWDOWN = [1, 2, 4, 4, 8, 8] as const;

/**
 * Polls and quizzes. A vote is checked here (joined, signed in unless the poll takes anonymous
 * votes, open, an answer it has, a repeat or a change against this gateway's own record), queued
 * and acked: no store call per vote. Every `pollFlushMs` each stream's queued votes go to the
 * store as one batch (`PollStore.cast`), which dedupes voters exactly across gateways and
 * replies with the exact counts; results go to viewers at most once per results window, read
 * from the store when no batch brought them. Each gateway watches the stored deadline itself:
 * at the end it shows `counting`, and once the grace has passed it freezes and reads the final
 * result (`finalize`), the same on every gateway.
 *
 * On the bus it owns `<prefix>.s.<stream>.poll`: a poll opened or closed (by the admin API or a
 * moderator's `poll` command on any gateway), never a vote.
 */
export class Polls implements StreamFeature<'vote' | 'poll'> {
  readonly name = 'polls';
  readonly requests = ['vote', 'poll'] as const;
  readonly subjects = ['poll'] as const;
  readonly reportEveryMs: number;
  readonly desk: PollDesk;
  readonly #o: PollsOptions;
  readonly #metrics: PollMetrics;
  readonly #counter: PollCounter;
  readonly #boxes = new Map<string, BallotBox>();
  /** Vote changes per identity (a first vote or a repeat costs no token). */
  readonly #changes = new RateLimiter(1, 3);
  #level = 0;
  /** Read every held stream's current poll at the next flush (after a bus reconnect). */
  #reload = false;

  constructor(options: PollsOptions) {
    this.#o = options;
    this.reportEveryMs = options.config.pollFlushMs;
    this.#metrics = new PollMetrics(options.metrics);
    this.#counter = new PollCounter({ ...options, metrics: this.#metrics });
    this.desk = new PollDesk(options);
    // Announcements published while the bus was away are lost to this gateway (NATS replays
    // nothing): after a reconnect every held stream's poll is read again, once.
    options.bus.onStatus((status) => {
      if (status.type === 'reconnected') this.#reload = true;
    });
  }

  handle(req: VoteRequest | PollRequest, _ws: Socket, s: Session, now: number) {
    return req.type === 'vote' ? this.#vote(req, s, now) : this.#command(req, s);
  }

  routes(route: AdminRoute): Route[] {
    return pollRoutes(route, this.desk);
  }

  #vote(req: VoteRequest, s: Session, now: number): { type: 'ack'; ref: number } | undefined {
    try {
      if (!s.streams.includes(req.stream))
        throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before voting`);
      const box = this.#boxes.get(req.stream);
      if (box?.poll.id !== req.poll)
        throw new RoarError(ErrorCode.NotFound, `no poll ${req.poll} on ${req.stream}`);
      const { poll } = box;
      if (s.identity.anonymous && !poll.anonymous)
        throw new RoarError(ErrorCode.Unauthenticated, 'sign in to vote');
      if (box.ended(now)) throw new RoarError(ErrorCode.PollClosed, 'the poll is closed');
      if (req.option >= poll.options.length)
        throw new RoarError(ErrorCode.InvalidOption, `the poll has ${poll.options.length} answers`);
      const voter = s.identity.key;
      const before = box.voted.get(voter);
      // A repeat costs nothing: a flood of the same vote counts once and is answered here.
      if (before !== req.option) {
        if (before !== undefined) {
          if (!poll.allowChange)
            throw new RoarError(ErrorCode.AlreadyVoted, 'you already voted in this poll');
          const wait = this.#changes.take(voter, now);
          if (wait > 0)
            throw new RoarError(ErrorCode.RateLimited, 'changing votes too fast', {
              retryAfterMs: wait,
            });
        }
        box.voted.set(voter, req.option);
        box.pending.push({ voter, option: req.option });
      }
      this.#metrics.votes.inc({ result: 'accepted', reason: '' });
      return req.ref !== undefined ? { type: 'ack', ref: req.ref } : undefined;
    } catch (error) {
      if (error instanceof RoarError)
        this.#metrics.votes.inc({ result: 'rejected', reason: error.code });
      throw error;
    }
  }

  async #command(
    req: PollRequest,
    s: Session,
  ): Promise<{ type: 'ack'; ref: number; id?: string } | undefined> {
    if (s.identity.anonymous)
      throw new RoarError(ErrorCode.Unauthenticated, 'sign in to run polls');
    const actor = actorOf(s.identity);
    const { action } = req;
    try {
      const poll =
        action.type === 'open'
          ? await this.desk.open(actor, req.stream, action)
          : await this.desk.close(actor, req.stream, action.poll);
      return req.ref !== undefined ? { type: 'ack', ref: req.ref, id: poll.id } : undefined;
    } catch (error) {
      if (error instanceof RoarError) throw error;
      this.#o.log.error('poll command failed', { stream: req.stream, error });
      throw new RoarError(ErrorCode.Internal, 'the poll command failed; try again');
    }
  }

  receive(state: StreamState, encoded: EncodedEvent): boolean {
    const event = encoded.event;
    if (!isPollEvent(event)) return false;
    const now = this.#o.now();
    let box = this.#boxes.get(state.id);
    if (box?.poll.id !== event.id) {
      // Votes still queued for the poll before it count with one last batch.
      if (box && box.pending.length > 0 && !box.busy) void this.#counter.cast(state.id, box);
      box = new BallotBox(pollFromEvent(event), now);
      this.#boxes.set(state.id, box);
      if (event.state === 'open') box.last = encoded as EncodedEvent<PollEvent>;
      state.slots.set('poll', box.last);
      return true;
    }
    if (event.state === 'counting') {
      const closedAt = box.poll.closedAt;
      if (closedAt === null || event.ts < closedAt) box.poll = { ...box.poll, closedAt: event.ts };
      if (box.stage === 'open') {
        box.stage = 'counting';
        state.slots.set('poll', box.show(now));
      }
    }
    return true;
  }

  async open(state: StreamState): Promise<void> {
    try {
      const poll = await this.#o.store.polls.current(state.id);
      // A poll announced on the bus meanwhile is newer than what was read.
      if (poll && !this.#boxes.has(state.id))
        this.#boxes.set(state.id, new BallotBox(poll, this.#o.now()));
    } catch (error) {
      // Joins go ahead without the poll; the next open or close announcement brings it.
      this.#o.log.warn('poll load failed', { stream: state.id, error });
    }
  }

  joined(state: StreamState): readonly EncodedEvent[] | undefined {
    const box = this.#boxes.get(state.id);
    return box && [box.last];
  }

  setLevel(level: number): void {
    this.#level = level;
  }

  sweep(now: number): void {
    this.#changes.sweep(now);
  }

  forget(stream: string): void {
    const box = this.#boxes.get(stream);
    this.#boxes.delete(stream);
    clearTimeout(box?.finalTimer);
    // The last viewers left: their votes still count.
    if (box && box.pending.length > 0) void this.#counter.cast(stream, box);
  }

  /** Every `pollFlushMs`: batches, results windows, deadlines (see the class comment). */
  report(streams: Iterable<StreamState>, now: number): void {
    const reload = this.#reload;
    this.#reload = false;
    for (const state of streams) {
      if (reload) void this.#reloadPoll(state);
      const box = this.#boxes.get(state.id);
      if (box && box.stage !== 'closed') this.#tick(state, box, now);
    }
  }

  #tick(state: StreamState, box: BallotBox, now: number): void {
    if (box.stage === 'open' && box.ended(now)) {
      box.stage = 'counting';
      this.#push(state, box.show(now));
    }
    if (box.busy) return;
    if (box.pending.length > 0) {
      void this.#counter.cast(state.id, box);
      return;
    }
    if (box.stage === 'counting') {
      const due = (pollEnd(box.poll) ?? now) + this.#o.config.pollGraceMs - now;
      if (due <= 0) void this.#finalize(state, box);
      // Due before the next tick: on time rather than up to a flush interval late.
      else if (due < this.reportEveryMs && box.finalTimer === undefined)
        box.finalTimer = setTimeout(() => {
          box.finalTimer = undefined;
          if (this.#boxes.get(state.id) === box && !box.busy && box.stage === 'counting')
            void this.#finalize(state, box);
        }, due);
      return;
    }
    // Once per results window: the counts from this tick's batch, or else read (one command).
    const window = this.#o.config.pollResultsMs * (RESULTS_SLOWDOWN[this.#level] ?? 8);
    if (now - box.checkedAt < window) return;
    box.checkedAt = now;
    if (now - box.freshAt < this.reportEveryMs) this.#showIfChanged(state, box);
    else void this.#counter.read(state.id, box).then(() => this.#showIfChanged(state, box));
  }

  /** New counts go to viewers; unchanged ones cost nothing. */
  #showIfChanged(state: StreamState, box: BallotBox): void {
    if (this.#boxes.get(state.id) !== box || box.stage !== 'open') return;
    if (box.poll.rev !== box.sentRev) this.#push(state, box.show(this.#o.now()));
  }

  /** The store's current poll replaces one this gateway missed the announcement of. */
  async #reloadPoll(state: StreamState): Promise<void> {
    try {
      const poll = await this.#o.store.polls.current(state.id);
      const box = this.#boxes.get(state.id);
      if (!poll || box?.poll.id === poll.id) return;
      const fresh = new BallotBox(poll, this.#o.now());
      this.#boxes.set(state.id, fresh);
      this.#push(state, fresh.last);
    } catch (error) {
      this.#reload = true;
      this.#o.log.warn('poll reload failed; retried', { stream: state.id, error });
    }
  }

  #push(state: StreamState, event: EncodedEvent): void {
    state.slots.set('poll', event);
    this.#o.fanout.markDirty(state);
  }

  /** Freezes and reads the final result, shown with a quiz's answer. */
  async #finalize(state: StreamState, box: BallotBox): Promise<void> {
    if (await this.#counter.finalize(state.id, box))
      if (this.#boxes.get(state.id) === box) this.#push(state, box.show(this.#o.now()));
  }
}
