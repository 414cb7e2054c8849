import type { Bus, Subjects } from '@roar/bus';
import {
  ErrorCode,
  Limits,
  RoarError,
  type AskRequest,
  type EncodedEvent,
  type QaEvent,
  type QaMineRequest,
  type QaModRequest,
  type UpvoteRequest,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { QaStore, Store } from '@roar/store';
import type { GatewayConfig } from '../../base/gateway-config.js';
import { badgesFor } from '../../base/identity.js';
import type { GatewayMetrics } from '../../base/metrics.js';
import { RateLimiter } from '../../base/token-bucket.js';
import type { Route } from '../../base/http.js';
import { actorOf } from '../../moderation/actor.js';
import type { AdminRoute } from '../../moderation/admin-router.js';
import type { PublishCheck } from '../../hooks/index.js';
import { checkChat, isPrivileged } from '../../moderation/rules/chat-policy.js';
import type { BanList } from '../../moderation/rules/stream-moderation.js';
import type { Fanout } from '../../streams/fanout.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { FeatureReply, StreamFeature } from '../feature.js';
import { Boards } from './boards.js';
import { moderateQa } from './qa-actions.js';
import { QaMetrics, countedQaStore, countedRequest } from './qa-metrics.js';
import { qaRoutes } from './qa-routes.js';
import { UpvoteBatch, refusal } from './upvote-batch.js';

export interface QaOptions {
  config: Pick<
    GatewayConfig,
    | 'anonymousChat'
    | 'qaTopN'
    | 'qaBoardIntervalMs'
    | 'qaAskIntervalMs'
    | 'qaUpvoteFlushMs'
    | 'qaUpvoteRatePerS'
    | 'qaUpvoteBurst'
  >;
  registry: StreamRegistry;
  /** Marks a stream whose board was read for its next frame. */
  fanout: Pick<Fanout, 'markDirty'>;
  /** The Q&A itself, and the audit log moderators' actions are written to. */
  store: Pick<Store, 'qa' | 'moderation'>;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  globalBans: BanList;
  automod: PublishCheck | undefined;
  log: Logger;
  now: () => number;
}

type QaRequestType = 'ask' | 'upvote' | 'qa_mod' | 'qa_mine';

/**
 * A stream's Q&A (issue 14): viewers ask (the chat rules apply: bans, timeouts, modes, banned
 * terms, automod holds; one question per `qaAskIntervalMs` per identity across gateways) and
 * upvote (batched per stream every `qaUpvoteFlushMs`, deduped exactly in the store); moderators
 * open, close, hide, show, answer and pick (`qa_mod` and the admin routes, see qa-actions.ts).
 *
 * Viewers get the board: the top `qaTopN` questions and the picked one, read from the store by
 * each gateway at most once per `qaBoardIntervalMs` and sent through the stream's latest-value
 * slot only when it changed (see `Boards`). A moderator's action is published on
 * `<prefix>.s.<stream>.qa` (the board after it), so it reaches every gateway at once. An asker
 * sees their question at once, in the ack (its id and time), before it may reach the board.
 */
export class Qa implements StreamFeature<QaRequestType> {
  readonly name = 'qa';
  readonly requests = ['ask', 'upvote', 'qa_mod', 'qa_mine'] as const;
  readonly subjects = ['qa'] as const;
  readonly reportEveryMs: number;
  readonly boards: Boards;
  readonly upvotes: UpvoteBatch;
  readonly #o: QaOptions;
  readonly #qa: QaStore;
  /** When each identity's last accepted question was asked here (the store keeps the exact one). */
  readonly #lastAsk = new Map<string, number>();
  readonly #upvoteLimiter: RateLimiter;
  readonly #metrics: QaMetrics;
  #level = 0;

  constructor(options: QaOptions) {
    this.#o = options;
    const { config } = options;
    this.#metrics = new QaMetrics(options.metrics.registry);
    this.#qa = countedQaStore(options.store.qa, this.#metrics.storeCalls);
    this.boards = new Boards(this.#qa, config.qaTopN, options.fanout);
    this.upvotes = new UpvoteBatch(this.#qa);
    this.reportEveryMs = config.qaUpvoteFlushMs;
    this.#upvoteLimiter = new RateLimiter(config.qaUpvoteRatePerS, config.qaUpvoteBurst);
  }

  handle(
    req: AskRequest | UpvoteRequest | QaModRequest | QaMineRequest,
    _ws: Socket,
    s: Session,
    now: number,
  ): Promise<FeatureReply> {
    switch (req.type) {
      case 'ask':
        return this.#counted('ask', this.#ask(req, s, now));
      case 'upvote':
        return this.#counted('upvote', this.#upvote(req, s, now));
      case 'qa_mod':
        return this.#counted('mod', this.#moderate(req, s));
      case 'qa_mine':
        return this.#counted('mine', this.#mine(req, s));
    }
  }

  receive(state: StreamState, encoded: EncodedEvent): boolean {
    if (encoded.event.type !== 'qa' || typeof encoded.event.rev !== 'number') return false;
    this.boards.receive(state, encoded as EncodedEvent<QaEvent>);
    return true;
  }

  async open(state: StreamState): Promise<void> {
    try {
      await this.boards.read(state, this.#o.now());
    } catch (error) {
      // Joins go on without the board; the next refresh reads it again.
      this.#metrics.storeErrors.inc({ op: 'board' });
      this.#o.log.warn('qa board load failed', { stream: state.id, error });
    }
  }

  joined(state: StreamState): readonly EncodedEvent[] | undefined {
    const board = this.boards.current(state.id);
    return board ? [board] : undefined;
  }

  /** Every `qaUpvoteFlushMs`: sends the upvote batches, and reads the boards that are due. */
  report(streams: Iterable<StreamState>, now: number): void {
    void this.upvotes.flush(now);
    // Level 1 slows viewer counts; boards slow down with them, to one read every 2 intervals.
    const interval = this.#o.config.qaBoardIntervalMs * (this.#level >= 1 ? 2 : 1);
    this.boards.refresh(streams, now, interval, (stream, error) => {
      this.#metrics.storeErrors.inc({ op: 'board' });
      this.#o.log.warn('qa board read failed', { stream, error });
    });
  }

  /** From level 4 (chat read-only) viewers' questions are refused too; upvotes go on. */
  setLevel(level: number): void {
    this.#level = level;
  }

  sweep(now: number): void {
    const interval = this.#o.config.qaAskIntervalMs;
    for (const [key, at] of this.#lastAsk) if (now - at >= interval) this.#lastAsk.delete(key);
    this.#upvoteLimiter.sweep(now);
  }

  forget(stream: string): void {
    this.boards.forget(stream);
    this.upvotes.forget(stream);
  }

  /** The admin API's Q&A routes: the same action as `qa_mod` (see qa-routes.ts). */
  routes(route: AdminRoute): Route[] {
    return qaRoutes(route, {
      ...this.#o,
      store: { qa: this.#qa, moderation: this.#o.store.moderation },
    });
  }

  #counted(kind: string, work: Promise<FeatureReply>): Promise<FeatureReply> {
    return countedRequest(this.#metrics, this.#o.log, kind, work);
  }

  /**
   * The checks every viewer request starts with: joined, signed in unless anonymous chat, and
   * (unless `closedToo`) the Q&A not known to be closed.
   */
  #viewer(stream: string, s: Session, what: string, closedToo = false): StreamState {
    const state = s.streams.includes(stream) ? this.#o.registry.get(stream) : undefined;
    if (!state) throw new RoarError(ErrorCode.NotJoined, `join ${stream} before ${what}`);
    if (s.identity.anonymous && !this.#o.config.anonymousChat)
      throw new RoarError(ErrorCode.Unauthenticated, `sign in before ${what}`);
    if (!closedToo && this.boards.isOpen(stream) === false)
      throw new RoarError(ErrorCode.QaClosed, 'the Q&A is closed');
    return state;
  }

  async #ask(req: AskRequest, s: Session, now: number): Promise<FeatureReply> {
    const { identity } = s;
    const state = this.#viewer(req.stream, s, 'asking');
    // Cheap refusals first: length and the local rate, before the rules read the text.
    if ([...req.text].length > Limits.questionMaxChars)
      throw new RoarError(
        ErrorCode.QuestionTooLong,
        `a question is at most ${Limits.questionMaxChars} characters`,
      );
    const privileged = isPrivileged(identity, req.stream);
    if (this.#level >= 4 && !privileged)
      throw new RoarError(ErrorCode.ReadOnly, 'questions are paused: the stream is very busy');
    // Only accepted questions start the interval: a refused one (a banned term) can be fixed
    // and sent again at once. The store keeps the exact limit across gateways; this spares it
    // the repeats from one connection.
    const interval = this.#o.config.qaAskIntervalMs;
    const last = this.#lastAsk.get(identity.key);
    if (last !== undefined && now - last < interval)
      throw new RoarError(ErrorCode.RateLimited, 'one question at a time', {
        retryAfterMs: last + interval - now,
      });
    await state.ready;
    if (!s.open) return undefined;
    // The chat rules, as they are: bans, timeouts, modes, links, banned terms.
    const pass = checkChat({
      identity,
      stream: req.stream,
      text: req.text,
      now,
      mod: state.mod,
      globalBans: this.#o.globalBans,
      // Long texts cost the sender's upvote budget (questions have no budget of their own).
      charge: (tokens) => this.#upvoteLimiter.charge(identity.key, tokens, now),
    });
    let held = false;
    let text = pass.text;
    const userId = identity.userId ?? identity.key;
    if (this.#o.automod && !privileged) {
      const { verdict, text: rewritten } = await this.#o.automod.check({
        stream: req.stream,
        userId,
        name: identity.name,
        text: pass.text,
      });
      if (verdict === 'deny')
        throw new RoarError(ErrorCode.Denied, 'this question was not accepted');
      held = verdict === 'hold';
      // The publish hook may rewrite the text, as it does chat's.
      if (rewritten !== undefined) text = rewritten;
    }
    const badges = badgesFor(identity, req.stream);
    const outcome = await this.#qa.ask(
      req.stream,
      {
        author: identity.key,
        user: { id: userId, name: identity.name, ...(badges ? { roles: badges } : {}) },
        text,
        ts: now,
        held,
      },
      this.#o.config.qaAskIntervalMs,
    );
    if (!outcome.ok) {
      if (outcome.reason === 'closed') throw new RoarError(ErrorCode.QaClosed, 'the Q&A is closed');
      throw new RoarError(ErrorCode.RateLimited, 'one question at a time', {
        retryAfterMs: outcome.retryAfterMs,
      });
    }
    this.#lastAsk.set(identity.key, now);
    if (req.ref === undefined || !s.open) return undefined;
    return { type: 'ack', ref: req.ref, id: outcome.id, ts: now, ...(held ? { held } : {}) };
  }

  async #upvote(req: UpvoteRequest, s: Session, now: number): Promise<FeatureReply> {
    this.#viewer(req.stream, s, 'upvoting');
    const wait = this.#upvoteLimiter.take(s.identity.key, now);
    if (wait > 0)
      throw new RoarError(ErrorCode.RateLimited, 'upvoting too fast', { retryAfterMs: wait });
    const outcome = await this.upvotes.add(req.stream, req.id, s.identity.key);
    if (outcome !== 'counted') throw refusal(outcome);
    return req.ref !== undefined && s.open ? { type: 'ack', ref: req.ref, id: req.id } : undefined;
  }

  /** The asker's own questions (a reload, another device): one store read, in the ack. */
  async #mine(req: QaMineRequest, s: Session): Promise<FeatureReply> {
    this.#viewer(req.stream, s, 'asking for your questions', true);
    // A store read each: it shares the upvotes' per-user bucket, so a flood of them is cheap.
    const wait = this.#upvoteLimiter.take(s.identity.key, this.#o.now());
    if (wait > 0) throw new RoarError(ErrorCode.RateLimited, 'too fast', { retryAfterMs: wait });
    const questions = await this.#qa.mine(req.stream, s.identity.key);
    return req.ref !== undefined && s.open ? { type: 'ack', ref: req.ref, questions } : undefined;
  }

  async #moderate(req: QaModRequest, s: Session): Promise<FeatureReply> {
    const state = this.#o.registry.get(req.stream);
    const actor = actorOf(s.identity);
    const store = { qa: this.#qa, moderation: this.#o.store.moderation };
    const board = await moderateQa({ ...this.#o, store }, actor, req.stream, req.action);
    // Shown here at once and published for every other gateway holding the stream.
    if (state) {
      this.boards.receive(state, board);
      this.#o.fanout.markDirty(state);
    }
    return req.ref !== undefined ? { type: 'ack', ref: req.ref } : undefined;
  }
}
