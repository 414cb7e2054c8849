import {
  ErrorCode,
  RoarError,
  type JoinRequest,
  type LeaveRequest,
  type EncodedEvent,
  type ServerMessage,
} from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import { joinDenied, withStreamRoles, type JoinDecision, type JoinHook } from '../hooks/index.js';
import type { Replies } from './replies.js';
import { publicSettings } from '../moderation/rules/settings.js';
import type { Fanout } from '../streams/fanout.js';
import type { RecentEntry } from '../streams/recent-chat.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { StreamState } from '../streams/stream-state.js';
import type { Session, Socket } from '../transport/socket.js';

export interface MembershipOptions {
  registry: StreamRegistry;
  fanout: Fanout;
  metrics: GatewayMetrics;
  /** Recent chat sent with `joined` (`ROAR_HISTORY_ON_JOIN`). */
  historyOnJoin: number;
  /** Streams one connection may join (`ROAR_MAX_STREAMS_PER_CONNECTION`). */
  maxStreamsPerConnection: number;
  /** The stream features' snapshots for a joiner (read at join: features are built later). */
  features: () => JoinSnapshots;
  /** The app's join hook; undefined: everyone may join. */
  joinHook: JoinHook | undefined;
  /** Answers joins refused after a wait on the join hook. */
  replies: Replies;
}

/** What a joining viewer is sent by the stream features after `joined` (see `StreamFeature.joined`). */
export interface JoinSnapshots {
  joined(state: StreamState, s: Session, join: JoinRequest): EncodedEvent[] | undefined;
}

/** The longest delay `setTimeout` honours (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Which streams a connection is in: `join` (once the app's join hook, if any, allowed it) counts
 * the viewer, answers with the stream's state and recent chat (or what it missed since `since`),
 * then subscribes it; `leave` undoes that and
 * returns the `left` reply. Errors are thrown as `RoarError`s for the connection handler to answer.
 */
export class Membership {
  readonly #o: MembershipOptions;

  constructor(options: MembershipOptions) {
    this.#o = options;
  }

  join(ws: Socket, s: Session, req: JoinRequest): void {
    const { stream } = req;
    if (s.streams.includes(stream) || s.joining?.includes(stream))
      throw new RoarError(ErrorCode.AlreadyJoined, `already joined ${stream}`);
    if (s.streams.length + (s.joining?.length ?? 0) >= this.#o.maxStreamsPerConnection) {
      throw new RoarError(
        ErrorCode.TooManyStreams,
        `at most ${this.#o.maxStreamsPerConnection} streams per connection`,
      );
    }
    const decided = this.#o.joinHook?.decide(s.identity, stream);
    if (decided === undefined) return this.#enter(ws, s, req);
    if (!(decided instanceof Promise)) {
      if (!decided.allow) throw joinDenied(stream, decided);
      return this.#admit(ws, s, req, decided);
    }
    // Not in `streams` until allowed: no chat, reaction or leave acts on it meanwhile.
    (s.joining ??= []).push(stream);
    decided.then(
      (decision) => this.#decided(ws, s, req, decision),
      (error: unknown) => this.#decided(ws, s, req, error as RoarError),
    );
  }

  /** The join hook answered: in, or refused before anything of the stream was sent. */
  #decided(ws: Socket, s: Session, req: JoinRequest, outcome: JoinDecision | RoarError): void {
    if (!s.open) return;
    const i = s.joining?.indexOf(req.stream) ?? -1;
    if (i < 0) {
      const left = new RoarError(
        ErrorCode.NotJoined,
        `left ${req.stream} before the join completed`,
      );
      return this.#o.replies.reject(ws, left, req.ref, req.stream);
    }
    s.joining?.splice(i, 1);
    if (outcome instanceof RoarError)
      return this.#o.replies.reject(ws, outcome, req.ref, req.stream);
    if (!outcome.allow)
      return this.#o.replies.reject(ws, joinDenied(req.stream, outcome), req.ref, req.stream);
    this.#admit(ws, s, req, outcome);
  }

  /** In, with the decision's roles for the stream (taken back if the right expires). */
  #admit(ws: Socket, s: Session, req: JoinRequest, decision: JoinDecision): void {
    const added = decision.roles.filter((r) => !s.identity.roles.includes(r));
    s.identity = withStreamRoles(s.identity, decision);
    this.#enter(ws, s, req);
    if (decision.expiresAt !== undefined)
      this.#expireAt(ws, s, req.stream, decision.expiresAt, added);
  }

  /** The viewer's right to the stream ends (a pass ran out): it is told, and leaves. */
  #expireAt(ws: Socket, s: Session, stream: string, expiresAt: number, roles: string[]): void {
    const wait = expiresAt - Date.now();
    setTimeout(
      () => {
        if (!s.open) return;
        // Past a timer's range (24.8 days) it waits in steps.
        if (wait > MAX_TIMER_MS) return this.#expireAt(ws, s, stream, expiresAt, roles);
        s.identity = { ...s.identity, roles: s.identity.roles.filter((r) => !roles.includes(r)) };
        if (!s.streams.includes(stream)) return;
        const reason = { allow: false, roles: [], expiresAt: undefined, reason: 'access expired' };
        this.#o.replies.reject(ws, joinDenied(stream, reason), undefined, stream);
        this.leave(ws, s, { type: 'leave', stream }, Date.now());
      },
      Math.min(MAX_TIMER_MS, Math.max(0, wait)),
    ).unref();
  }

  /** Counts the viewer in, then sends the stream's state and history, then subscribes it. */
  #enter(ws: Socket, s: Session, req: JoinRequest): void {
    const { stream } = req;
    // A new array of the exact length: a push would give most viewers, in one stream, room for 17.
    s.streams = s.streams.concat(stream);
    const state = this.#o.registry.acquire(stream, s.identity.key);
    this.#o.metrics.joins.inc();
    void state.ready.then(() => {
      // The viewer may have gone, or left the stream, while history loaded.
      if (!s.open || !s.streams.includes(stream)) return;
      let history: RecentEntry[];
      let resumed = false;
      let gap = false;
      if (req.since !== undefined) {
        const missed = state.recent.resume(req.since);
        resumed = missed.entries !== undefined;
        gap = missed.gap;
        history = missed.entries ?? state.recent.last(this.#o.historyOnJoin);
      } else {
        history = state.recent.last(this.#o.historyOnJoin);
      }
      const frame = s.codec.encodeJoined(
        {
          type: 'joined',
          ...(req.ref !== undefined ? { ref: req.ref } : {}),
          stream,
          viewers: state.viewerCount(),
          resumed,
          gap,
          reactions: state.mod.settings.reactions,
          settings: publicSettings(state.mod.settings),
          pinned: state.mod.pinned?.event ?? null,
        },
        history.map((e) => e.event),
      );
      const snapshots = this.#o.features().joined(state, s, req);
      // History, the features' snapshots, then the subscription: every later event comes in a
      // batch, none twice.
      ws.cork(() => {
        ws.send(frame, s.codec.binary);
        if (snapshots)
          ws.send(s.codec.encodeBatch({ type: 'batch', stream }, snapshots), s.codec.binary);
      });
      this.#o.fanout.subscribe(ws, state);
      this.#o.metrics.framesOut.inc();
    });
  }

  leave(ws: Socket, s: Session, req: LeaveRequest, now: number): ServerMessage {
    const i = s.streams.indexOf(req.stream);
    const pending = s.joining?.indexOf(req.stream) ?? -1;
    // Left while the join hook decides: the join is answered `not_joined` when it returns.
    if (pending >= 0) s.joining?.splice(pending, 1);
    else if (i < 0) throw new RoarError(ErrorCode.NotJoined, `not joined to ${req.stream}`);
    if (i < 0) return this.#left(req);
    s.streams.splice(i, 1);
    this.#o.fanout.unsubscribe(ws, req.stream);
    const state = this.#o.registry.get(req.stream);
    if (state) this.#o.registry.release(state, now);
    this.#o.metrics.leaves.inc();
    return this.#left(req);
  }

  #left(req: LeaveRequest): ServerMessage {
    return { type: 'left', ...(req.ref !== undefined ? { ref: req.ref } : {}), stream: req.stream };
  }

  /** The connection closed: it leaves every stream it was in. */
  leaveAll(s: Session, now: number): void {
    for (const stream of s.streams) {
      const state = this.#o.registry.get(stream);
      if (state) this.#o.registry.release(state, now);
      this.#o.metrics.leaves.inc();
    }
    s.streams = [];
  }
}
