import type { BusHeaders } from '@roar/bus';
import type { ClientMessage, EncodedEvent, JoinRequest, ServerMessage } from '@roar/protocol';
import type { Route } from '../base/http.js';
import type { AdminRoute } from '../moderation/admin-router.js';
import type { StreamState } from '../streams/stream-state.js';
import type { Session, Socket } from '../transport/socket.js';

/** The client requests a feature may answer: all but the connection's own (join, leave). */
export type FeatureRequest = Exclude<ClientMessage, { type: 'join' | 'leave' }>;
export type FeatureRequestType = FeatureRequest['type'];

/** What a request is answered with; undefined when nothing is sent (no `ref`, or sender gone). */
export type FeatureReply = ServerMessage | undefined;

/**
 * A stream feature (chat, reactions, moderation commands, ping, widgets, Q&A, polls): one folder
 * under `features/` and one line in `index.ts`. Whatever it needs (registry, store, bus, metrics,
 * log) it takes in its constructor; per-stream state it keeps is its own, keyed by stream id, and
 * dropped in `forget`. The connection layer owns sockets and replies: a feature returns a reply
 * or throws, and never writes to a socket itself.
 */
export interface StreamFeature<T extends FeatureRequestType = FeatureRequestType> {
  /** Names the feature in logs and registration errors. */
  readonly name: string;
  /** The request types it answers; registration fails if two features claim one. */
  readonly requests: readonly T[];
  /**
   * Answers one request (decoded and size/rate-checked by the connection layer). Returns the reply
   * to send, or a promise of it; throws or rejects with a `RoarError`, which the connection layer
   * sends as an `error` carrying the request's `ref` and `stream` (a rejection is sent only while
   * the connection is open). Arguments are positional so a frame allocates no context object.
   */
  handle(
    request: Extract<FeatureRequest, { type: T }>,
    ws: Socket,
    s: Session,
    now: number,
  ): FeatureReply | Promise<FeatureReply>;
  /** Per-stream subject kinds it owns (`<prefix>.s.<stream>.<kind>`); each is claimed once. */
  readonly subjects?: readonly string[];
  /**
   * One decoded message on a subject it owns, for a stream this gateway holds; returns false
   * when the message is malformed (counted and dropped), true once it is applied or queued.
   */
  receive?(state: StreamState, event: EncodedEvent, headers: BusHeaders | undefined): boolean;
  /**
   * The gateway started holding `state` (its first viewer, or a warm-up): load what the feature
   * keeps for the stream (a poll, the widget state). Joins wait for the promise, as for history,
   * so it must resolve even when the load fails (log and count the failure; join without it).
   */
  open?(state: StreamState): Promise<void> | void;
  /**
   * What a joining viewer is sent right after `joined` and before the live batches (a snapshot:
   * the open poll, the widget state), in the same corked write; undefined when nothing. `join`
   * is the viewer's request (what it says it holds already, after a reconnect).
   */
  joined?(state: StreamState, s: Session, join: JoinRequest): readonly EncodedEvent[] | undefined;
  /** How often `report` runs, in ms (with `report`). */
  readonly reportEveryMs?: number;
  /** What it tells the aggregator of the held streams, every `reportEveryMs` (reactions: counts). */
  report?(streams: Iterable<StreamState>, now: number): void;
  /** The degradation level changed (0 normal … 5); see `load/degradation.ts`. */
  setLevel?(level: number): void;
  /** Periodic cleanup (every 10 s): drops per-user state not used since long before `now`. */
  sweep?(now: number): void;
  /** The gateway stopped holding `stream`: drop what is kept for it. */
  forget?(stream: string): void;
  /**
   * Its admin API routes (`/admin/v1/...`, each in docs/openapi.yaml), built with `route`: the
   * admin router's authentication, request checks, idempotency, CORS and logging come with it.
   * The module lives in the feature's folder (`<name>-routes.ts`) and works on what the feature
   * built (its service, its desk), the same objects its WebSocket requests use.
   */
  routes?(route: AdminRoute): Route[];
}
