/**
 * Error codes carried by `error` frames and admin API error bodies. The strings are stable: clients
 * switch on them, so a code is never renamed or reused. docs/protocol.md holds the table.
 */
export const ErrorCode = {
  // The frame itself
  BadFrame: 'bad_frame',
  UnknownType: 'unknown_type',
  InvalidField: 'invalid_field',
  InvalidUtf8: 'invalid_utf8',
  FrameTooLarge: 'frame_too_large',
  Flood: 'flood',
  // Streams
  InvalidStream: 'invalid_stream',
  NotJoined: 'not_joined',
  AlreadyJoined: 'already_joined',
  TooManyStreams: 'too_many_streams',
  /** The app's join hook refused this viewer in this stream (subscriber-only, paid, region). */
  JoinDenied: 'join_denied',
  // Identity
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  TokenInvalid: 'token_invalid',
  TokenExpired: 'token_expired',
  // Chat and reactions
  ChatEmpty: 'chat_empty',
  ChatTooLong: 'chat_too_long',
  ChatControlChars: 'chat_control_chars',
  RateLimited: 'rate_limited',
  ReactionNotAllowed: 'reaction_not_allowed',
  ReactionsDisabled: 'reactions_disabled',
  // Moderation
  Banned: 'banned',
  TimedOut: 'timed_out',
  ChatDisabled: 'chat_disabled',
  SlowMode: 'slow_mode',
  EmoteOnly: 'emote_only',
  SubscribersOnly: 'subscribers_only',
  FollowersOnly: 'followers_only',
  Duplicate: 'duplicate',
  BannedTerm: 'banned_term',
  LinkNotAllowed: 'link_not_allowed',
  Denied: 'denied',
  NotFound: 'not_found',
  /** The server is shedding load: chat is read-only for viewers for now. */
  ReadOnly: 'read_only',
  // Live widgets (keyed live state)
  /** A conditional write found another version of the key (the error carries the current one). */
  VersionConflict: 'version_conflict',
  /** A state value is larger than `StateLimits.valueMaxBytes` or nested too deep. */
  StateValueTooLarge: 'state_value_too_large',
  /** The stream's live state holds `StateLimits.keysPerStream` keys already. */
  StateTooManyKeys: 'state_too_many_keys',
  // Q&A (issue 14)
  /** The stream's Q&A is closed: no questions (upvotes on a closed board are refused too). */
  QaClosed: 'qa_closed',
  /** A question longer than `Limits.questionMaxChars`. */
  QuestionTooLong: 'question_too_long',
  /** Upvoting one's own question. */
  OwnQuestion: 'own_question',
  /** The question was hidden by a moderator (or waits for one). */
  QuestionHidden: 'question_hidden',
  /** This identity has upvoted the question already: it counted once. */
  AlreadyUpvoted: 'already_upvoted',
  // Polls
  /** The poll is closed (or past its deadline): the vote was not taken. */
  PollClosed: 'poll_closed',
  /** The vote names an answer the poll does not have. */
  InvalidOption: 'invalid_option',
  /** This identity already voted and the poll does not allow changing it. */
  AlreadyVoted: 'already_voted',
  /** Another poll is open on the stream: close it first. */
  PollOpen: 'poll_open',
  // The server
  Internal: 'internal',
  Unavailable: 'unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes: ReadonlySet<string> = new Set(Object.values(ErrorCode));
/** True when `value` is one of the documented error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && codes.has(value);
}

export interface RoarErrorOptions {
  cause?: unknown;
  /** For `rate_limited`: when the same action will be accepted again. */
  retryAfterMs?: number;
  /** The `ref` of the request that failed, so the error frame can be matched to it. */
  ref?: number | undefined;
  /** For `version_conflict`: the key's current version (0: it does not exist). */
  version?: number | undefined;
}

/** Base class of every error Roar raises on purpose: a stable `code` and a human message. */
export class RoarError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  readonly ref: number | undefined;
  readonly version: number | undefined;

  constructor(code: ErrorCode, message: string, options: RoarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.ref = options.ref;
    this.version = options.version;
  }
}

/** The bytes of a frame could not be turned into a valid message. */
export class ProtocolError extends RoarError {}

/** A well-formed request that the rules refuse (too long, not joined, not allowed...). */
export class RejectedError extends RoarError {}
