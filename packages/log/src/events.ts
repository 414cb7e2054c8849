/**
 * The log's event schema, version 1: a stable contract for everything that reads the log (replay,
 * webhooks, apps with their own JetStream consumers). Fields are only ever added within a version;
 * a change that removes or retypes a field makes version 2, and readers skip versions they do not
 * know. Documented in docs/protocol.md ("The durable log").
 */
export const LOG_SCHEMA_VERSION = 1;

/** Who wrote a message or acted, as viewers saw them. */
export interface LogUser {
  id: string;
  name: string;
  /** Badges (moderator, broadcaster...), when any. */
  roles?: string[];
}

/** What a moderation action did. `ban` and `timeout` also hide the user's earlier messages. */
export type ModerationActionName =
  'ban' | 'unban' | 'timeout' | 'pin' | 'unpin' | 'announce' | 'settings' | 'approve' | 'deny';

/** The payload (`data`) of each event type. */
export interface LogEventData {
  /** A chat message was accepted and published (once, by the gateway that accepted it). */
  'chat.published': { id: string; user: LogUser; text: string };
  /** A moderator deleted one message: it never replays, whenever the deletion happened. */
  'chat.deleted': { id: string; by: string; reason?: string };
  /** A moderator cleared the chat: every message before `ts` never replays. */
  'chat.cleared': { by: string; reason?: string };
  /**
   * Any other moderation action. `target` is the user (ban, unban, timeout) or message (pin,
   * approve, deny) acted on; `until` ends a timeout (ms since the epoch; null for a ban). A ban or
   * timeout hides the target's messages sent before `ts` from replays, as live clients hide them.
   */
  'moderation.action': {
    action: ModerationActionName;
    by: string;
    target?: string;
    until?: number | null;
    reason?: string;
    /** Action-specific detail (the announcement text, the settings patch). */
    detail?: Record<string, unknown>;
  };
  /** The stream's audience, sampled periodically by the aggregator that owns it. */
  'viewers.sample': { total: number; peak?: number; uniques?: number };
  /** Reactions counted over one window, summed across gateways (one event per window). */
  'reactions.burst': { counts: Record<string, number>; windowMs: number };
}

export type LogEventType = keyof LogEventData;

export const LOG_EVENT_TYPES: readonly LogEventType[] = [
  'chat.published',
  'chat.deleted',
  'chat.cleared',
  'moderation.action',
  'viewers.sample',
  'reactions.burst',
];

/** An event as appended: the log adds `v` and `seq`. */
export type LogAppend = {
  [T in LogEventType]: {
    type: T;
    /**
     * A unique id for the event, kept by the log for idempotent appends (the same id appended
     * twice within the duplicate window is stored once). For `chat.published`, the message id.
     */
    id: string;
    /** When it happened: ms since the epoch, from the appender's clock. */
    ts: number;
    data: LogEventData[T];
  };
}[LogEventType];

/**
 * A stored event (the envelope). `seq` is assigned by the log: strictly increasing within a
 * stream (and across the whole log), not dense — the numbers between belong to other streams.
 * A log restarted empty starts `seq` again from 1.
 */
export type LogEvent = {
  [T in LogEventType]: {
    v: typeof LOG_SCHEMA_VERSION;
    type: T;
    id: string;
    stream: string;
    ts: number;
    seq: number;
    data: LogEventData[T];
  };
}[LogEventType];

/** The envelope of one type, e.g. `LogEventOf<'chat.published'>`. */
export type LogEventOf<T extends LogEventType> = Extract<LogEvent, { type: T }>;

const TYPES = new Set<string>(LOG_EVENT_TYPES);

/** True for a known event type (readers skip others: they come from a newer writer). */
export function isLogEventType(value: unknown): value is LogEventType {
  return typeof value === 'string' && TYPES.has(value);
}

/**
 * Checks a decoded envelope's shape (the fields every reader relies on). The payload is trusted:
 * only Roar writes the log's subjects.
 */
export function isLogEvent(value: unknown): value is LogEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    e.v === LOG_SCHEMA_VERSION &&
    isLogEventType(e.type) &&
    typeof e.id === 'string' &&
    typeof e.stream === 'string' &&
    typeof e.ts === 'number' &&
    typeof e.seq === 'number' &&
    typeof e.data === 'object' &&
    e.data !== null
  );
}
