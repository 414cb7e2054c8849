import type { ErrorCode } from './errors.js';
import type { SettingsPatch } from './settings.js';
// ---- Polls (issue 14): the shapes live in polls.ts ----
import type { PollEvent, PollRequest, VoteRequest } from './polls.js';

/** Who wrote a message, as viewers see it. `roles` carries badges (moderator, broadcaster...). */
export interface UserRef {
  id: string;
  name: string;
  roles?: string[];
}

/** A viewer count as pushed to clients and served by `GET /v1/streams/{id}/viewers`. */
export interface ViewerCount {
  /** Connections watching now, summed over every gateway. */
  total: number;
  /** Display text, e.g. "1.2M watching". */
  text: string;
  /** Estimated distinct viewers since the stream started (HyperLogLog). */
  uniques?: number;
  /** Highest total that held through a clean window (never one that counted a viewer twice). */
  peak?: number;
  /**
   * True when the count's owner (the aggregator) has gone silent: the figures are the last ones
   * known, kept rather than shown as 0. Absent when fresh.
   */
  stale?: boolean;
}

// ---- Events: what happens in a stream, delivered to viewers inside `batch` frames ----

export interface ChatEvent {
  type: 'chat';
  /** Server-assigned, unique, increasing per gateway; used to resume after a reconnect. */
  id: string;
  /** Server time in ms since the epoch. */
  ts: number;
  user: UserRef;
  text: string;
  /**
   * The message's position, stamped by the gateway that accepted it: `origin` names that gateway
   * instance and its epoch for this stream (new at every gateway start and every time the stream
   * opens there), `seq` counts the stream's messages from that origin (1, 2, 3...). A jump in
   * `seq` within one origin is a hole. Absent on messages a moderator or a delay held first.
   * Under sampling at the source the relay that forwarded the message stamps them instead.
   */
  origin?: string;
  seq?: number;
}

/**
 * Chat this connection missed and will not receive: the gateway detected a hole (a position jump,
 * a lost bus connection) and could not fill it from history. `missed` counts the messages known
 * to be missing (at least 1; more may be).
 */
export interface GapEvent {
  type: 'gap';
  missed: number;
}

/** Reactions counted over one window, summed across gateways: one event per window, not per tap. */
export interface ReactionsEvent {
  type: 'reactions';
  counts: Record<string, number>;
  windowMs: number;
}

export interface ViewersEvent extends ViewerCount {
  type: 'viewers';
  /**
   * The publishing aggregator's lease epoch (a fencing token, higher after every change of owner).
   * Gateways drop a viewers event whose epoch is lower than the last one they accepted for the
   * stream, so a deposed owner's late figures are never shown. Absent from unleased publishers.
   */
  epoch?: number;
}

/** A moderator removed one message: clients remove it from view. */
export interface DeleteEvent {
  type: 'delete';
  id: string;
}

/** A moderator cleared the chat: clients remove every message shown so far. */
export interface ClearEvent {
  type: 'clear';
}

/** The pinned message changed (null: unpinned). */
export interface PinEvent {
  type: 'pin';
  message: ChatEvent | null;
}

/** A system message from the broadcaster or the platform: a score update, a poll link. */
export interface AnnouncementEvent {
  type: 'announcement';
  id: string;
  ts: number;
  text: string;
}

/** A user was timed out or banned: clients hide that user's messages. */
export interface UserRemovedEvent {
  type: 'user_removed';
  userId: string;
  /** When the timeout ends (ms since the epoch), or null for a ban. */
  until: number | null;
}

/** The stream's chat rules changed. */
export interface SettingsEvent {
  type: 'settings';
  settings: PublicSettings;
}

/**
 * The chat rules of a stream that clients need to know (what the send box should allow). With the
 * two only moderators see, they make `StreamSettings` (settings.ts), the one definition of the
 * shape that the store, the gateway and the SDK use.
 */
export interface PublicSettings {
  chatEnabled: boolean;
  /** Seconds a non-moderator must wait between messages; 0 = off. */
  slowModeS: number;
  emoteOnly: boolean;
  /** Only tokens with the role `subscriber:<stream>`. */
  subscribersOnly: boolean;
  /** Only tokens with the role `follower:<stream>` (or subscriber). */
  followersOnly: boolean;
  /** Reject a message equal to one of the stream's recent messages. */
  uniqueChat: boolean;
  /** Most characters per message, at most the protocol's 500. */
  maxLength: number;
  /** Reactions this stream accepts. */
  reactions: string[];
  reactionsEnabled: boolean;
  /** Links in chat: allowed, refused, or only from moderators. */
  links: 'allow' | 'block' | 'moderators';
}

export type StreamEvent =
  | ChatEvent
  | ReactionsEvent
  | ViewersEvent
  | DeleteEvent
  | ClearEvent
  | PinEvent
  | AnnouncementEvent
  | UserRemovedEvent
  | SettingsEvent
  | GapEvent
  | StateEvent
  | QaEvent
  // Polls
  | PollEvent;

// ---- Client → server ----

/** Join a stream. `since` is the last chat id the client saw, to resume after a reconnect. */
export interface JoinRequest {
  type: 'join';
  ref?: number;
  stream: string;
  since?: string;
  /**
   * The stream's live-state version the client holds (from its last `state` event): the gateway
   * sends only the keys changed since, or a fresh snapshot when it cannot (see `StateEvent`).
   */
  stateVersion?: number;
}

export interface LeaveRequest {
  type: 'leave';
  ref?: number;
  stream: string;
}

export interface ChatRequest {
  type: 'chat';
  ref?: number;
  stream: string;
  text: string;
}

export interface ReactRequest {
  type: 'react';
  ref?: number;
  stream: string;
  emoji: string;
}

export interface PingRequest {
  type: 'ping';
  ref?: number;
}

/** A moderation action, for tokens with the moderator or broadcaster role of the stream (or admin). */
export type ModAction =
  | { type: 'delete'; id: string; reason?: string }
  | { type: 'clear'; reason?: string }
  | { type: 'timeout'; userId: string; seconds: number; reason?: string }
  | { type: 'ban'; userId: string; reason?: string }
  | { type: 'unban'; userId: string }
  | { type: 'pin'; id: string }
  | { type: 'unpin' }
  | { type: 'announce'; text: string }
  | { type: 'settings'; settings: SettingsPatch }
  | { type: 'approve'; id: string }
  | { type: 'deny'; id: string; reason?: string };

export interface ModRequest {
  type: 'mod';
  ref?: number;
  stream: string;
  action: ModAction;
}

export type ClientMessage =
  | JoinRequest
  | LeaveRequest
  | ChatRequest
  | ReactRequest
  | PingRequest
  | ModRequest
  | WidgetRequest
  | QaRequest
  // Polls
  | VoteRequest
  | PollRequest;
export type ClientMessageType = ClientMessage['type'];

// ---- Server → client ----

export interface WelcomeMessage {
  type: 'welcome';
  /** Protocol version. */
  v: number;
  /** This connection's id, for support and logs. */
  session: string;
  /** The authenticated user, or null for an anonymous viewer. */
  user: UserRef | null;
  /** Most streams one connection may join. */
  maxStreams: number;
}

export interface JoinedMessage {
  type: 'joined';
  ref?: number;
  stream: string;
  viewers: ViewerCount;
  /** Recent chat, oldest first: the last N messages, or what was missed after `since`. */
  history: ChatEvent[];
  /** True when `since` was found and `history` holds exactly the messages after it. */
  resumed: boolean;
  /**
   * True when `since` was given and messages after it are missing from `history`: `since` is older
   * than the window, or the window has a hole (a history write failed, a position is missing).
   * Never false with a message missing, as far as positions can tell (see docs/protocol.md).
   */
  gap: boolean;
  /** Emoji this stream accepts as reactions. */
  reactions: string[];
  /** The stream's chat rules. */
  settings: PublicSettings;
  /** The pinned message, if any. */
  pinned: ChatEvent | null;
}

export interface LeftMessage {
  type: 'left';
  ref?: number;
  stream: string;
}

/** Success reply to a request that carried a `ref`. For chat, the message's id and time. */
export interface AckMessage {
  type: 'ack';
  ref: number;
  id?: string;
  ts?: number;
  /** The chat message waits for a moderator (or the stream's delay) before anyone sees it. */
  held?: boolean;
  /** For `widget`: the key's version after the write (its compare-and-set token). */
  version?: number;
  /** For `widget`: an earlier write with this idempotency key did it; nothing was written now. */
  replayed?: boolean;
  /** Q&A (issue 14): for `qa_mine`, the asker's own questions, newest first. */
  questions?: QaQuestion[];
}

export interface ErrorMessage {
  type: 'error';
  ref?: number;
  code: ErrorCode;
  message: string;
  stream?: string;
  /** For `rate_limited`: milliseconds until the same action is accepted again. */
  retryAfterMs?: number;
  /** For `version_conflict`: the key's current version (0: the key does not exist). */
  version?: number;
}

export interface PongMessage {
  type: 'pong';
  ref?: number;
  ts: number;
}

/** Everything that happened in one stream during one fanout tick, in order. */
export interface BatchMessage {
  type: 'batch';
  stream: string;
  events: StreamEvent[];
  /**
   * Present when chat is sampled: the fraction of the stream's chat messages delivered lately
   * (e.g. 0.2). Clients can say "chat is sampled"; priority messages are never sampled out.
   */
  sampled?: number;
}

/** The gateway's degradation level changed (0 = normal, 5 = admission closed). */
export interface StatusMessage {
  type: 'status';
  level: number;
  /** What the level turns off, for display: e.g. "chat is read-only". */
  text: string;
}

/** Sent before a server-initiated close: reconnect after `delayMs` (plus the client's jitter). */
export interface ReconnectMessage {
  type: 'reconnect';
  delayMs: number;
  reason: string;
}

export type ServerMessage =
  | WelcomeMessage
  | JoinedMessage
  | LeftMessage
  | AckMessage
  | ErrorMessage
  | PongMessage
  | BatchMessage
  | StatusMessage
  | ReconnectMessage;
export type ServerMessageType = ServerMessage['type'];

// ---- Live widgets (keyed live state) ----

/** One key of a stream's live state (a score, the current over), as viewers receive it. */
export interface StateEntry {
  /**
   * The key's version: the stream's state version at the key's last write, so it only grows. A
   * write conditional on it (`ifVersion`) is refused with `version_conflict` once it moved.
   */
  version: number;
  /** When it was written, server ms since the epoch (playback alignment holds it until then). */
  ts: number;
  /** The value, small JSON (see `StateLimits`); absent when the key was deleted. */
  value?: unknown;
  /** The key was deleted at `version`. */
  deleted?: true;
}

/**
 * Keys of a stream's live state that changed (latest value per key: a key written many times
 * within a tick is sent once, with its newest value). `snapshot: true` is the whole state, to
 * replace what the client held (keys it does not list do not exist); otherwise the changes apply
 * on top. `version` is the stream's state version the client holds once it applied them: sent
 * back as `JoinRequest.stateVersion` after a reconnect.
 */
export interface StateEvent {
  type: 'state';
  version: number;
  changes: Record<string, StateEntry>;
  snapshot?: true;
}

/** What a `widget` request does to a key: replace it, merge into it (RFC 7386), or delete it. */
export type StateOp = 'set' | 'patch' | 'delete';

/**
 * A write to one key of a stream's live state, for tokens with the moderator or broadcaster role
 * of the stream (or admin). `ifVersion` makes it conditional (0: only if the key does not exist);
 * `idempotencyKey` makes a retry return the first attempt's result without writing again. The
 * ack carries the key's new `version`.
 */
export interface WidgetRequest {
  type: 'widget';
  ref?: number;
  stream: string;
  key: string;
  op: StateOp;
  /** For `set`: the value; for `patch`: an object merged into the current one. */
  value?: unknown;
  ifVersion?: number;
  idempotencyKey?: string;
}

// ---- Q&A (issue 14): a stream's questions, upvotes and the question a moderator picked ----

/** One question as viewers see it. `user.id` is its author (the user id, or the anonymous key). */
export interface QaQuestion {
  id: string;
  user: UserRef;
  text: string;
  /** When it was asked (server ms since the epoch). */
  ts: number;
  upvotes: number;
  /** A moderator marked it answered: it has left the top list (it may still be the picked one). */
  answered?: boolean;
}

/**
 * A stream's Q&A board, a latest-value event: at most one per `qaBoardIntervalMs` (1 s) per
 * stream, and only when something changed; never one per question or per upvote. `rev` grows
 * with every change of the board in the store, so an older board is never shown after a newer
 * one. `ts` is the server time of the newest change it shows (for playback alignment).
 */
export interface QaEvent {
  type: 'qa';
  rev: number;
  ts: number;
  /** Questions are accepted now. A closed board stays readable. */
  open: boolean;
  /** The most upvoted visible, unanswered questions, most upvotes first (ties: newest first). */
  top: QaQuestion[];
  /** The question a moderator picked, highlighted for every viewer; null when none. */
  picked: QaQuestion | null;
}

/** Ask a question (one per `qaAskIntervalMs` per identity; the chat rules apply). */
export interface AskRequest {
  type: 'ask';
  ref?: number;
  stream: string;
  text: string;
}

/** Upvote another viewer's question: one upvote per identity per question, across gateways. */
export interface UpvoteRequest {
  type: 'upvote';
  ref?: number;
  stream: string;
  /** The question's id. */
  id: string;
}

/** What a moderator, the broadcaster or an admin does to a stream's Q&A. */
export type QaAction =
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'hide'; id: string }
  | { type: 'show'; id: string }
  | { type: 'answer'; id: string }
  | { type: 'pick'; id: string }
  | { type: 'unpick' };

export interface QaModRequest {
  type: 'qa_mod';
  ref?: number;
  stream: string;
  action: QaAction;
}

/** The asker's own questions (after a reload or on another device): answered with an `ack`. */
export interface QaMineRequest {
  type: 'qa_mine';
  ref?: number;
  stream: string;
}

export type QaRequest = AskRequest | UpvoteRequest | QaModRequest | QaMineRequest;
