import {
  ErrorCode,
  RoarError,
  type JoinRequest,
  type LeaveRequest,
  type EncodedEvent,
  type ServerMessage,
} from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
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
}

/** What a joining viewer is sent by the stream features after `joined` (see `StreamFeature.joined`). */
export interface JoinSnapshots {
  joined(state: StreamState, s: Session, join: JoinRequest): EncodedEvent[] | undefined;
}

/**
 * Which streams a connection is in: `join` counts the viewer, answers with the stream's state and
 * recent chat (or what it missed since `since`), then subscribes it; `leave` undoes that and
 * returns the `left` reply. Errors are thrown as `RoarError`s for the connection handler to answer.
 */
export class Membership {
  readonly #o: MembershipOptions;

  constructor(options: MembershipOptions) {
    this.#o = options;
  }

  join(ws: Socket, s: Session, req: JoinRequest): void {
    const { stream } = req;
    if (s.streams.includes(stream))
      throw new RoarError(ErrorCode.AlreadyJoined, `already joined ${stream}`);
    if (s.streams.length >= this.#o.maxStreamsPerConnection) {
      throw new RoarError(
        ErrorCode.TooManyStreams,
        `at most ${this.#o.maxStreamsPerConnection} streams per connection`,
      );
    }
    s.streams.push(stream);
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
    if (i < 0) throw new RoarError(ErrorCode.NotJoined, `not joined to ${req.stream}`);
    s.streams.splice(i, 1);
    this.#o.fanout.unsubscribe(ws, req.stream);
    const state = this.#o.registry.get(req.stream);
    if (state) this.#o.registry.release(state, now);
    this.#o.metrics.leaves.inc();
    return {
      type: 'left',
      ...(req.ref !== undefined ? { ref: req.ref } : {}),
      stream: req.stream,
    };
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
