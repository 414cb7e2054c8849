import { ErrorCode, ProtocolError } from './errors.js';
import { Limits, isStreamId } from './limits.js';
import type { ClientMessage, ClientMessageType, JoinRequest } from './messages.js';
import { isStateVersion, parseWidgetFields } from './widgets.js';
import { isCleanUnicode } from './text.js';
import { isPlainObject } from './validate-util.js';
import { parseSettingsPatch } from './settings.js';
import type { ModAction, QaAction } from './messages.js';
// Polls
import { parsePollCommand, parseVote } from './polls.js';

export { isPlainObject };

type Fields = Record<string, unknown>;

/** The fields each client message may carry; anything else is rejected. */
const FIELDS: Record<ClientMessageType, readonly string[]> = {
  join: ['type', 'ref', 'stream', 'since', 'stateVersion'],
  leave: ['type', 'ref', 'stream'],
  chat: ['type', 'ref', 'stream', 'text'],
  react: ['type', 'ref', 'stream', 'emoji'],
  ping: ['type', 'ref'],
  mod: ['type', 'ref', 'stream', 'action'],
  // Live widgets
  widget: ['type', 'ref', 'stream', 'key', 'op', 'value', 'ifVersion', 'idempotencyKey'],
  // Q&A (issue 14)
  ask: ['type', 'ref', 'stream', 'text'],
  upvote: ['type', 'ref', 'stream', 'id'],
  qa_mod: ['type', 'ref', 'stream', 'action'],
  qa_mine: ['type', 'ref', 'stream'],
  // Polls
  vote: ['type', 'ref', 'stream', 'poll', 'option'],
  poll: ['type', 'ref', 'stream', 'action'],
};

/** The fields of each moderation action. */
const ACTION_FIELDS: Record<ModAction['type'], readonly string[]> = {
  delete: ['type', 'id', 'reason'],
  clear: ['type', 'reason'],
  timeout: ['type', 'userId', 'seconds', 'reason'],
  ban: ['type', 'userId', 'reason'],
  unban: ['type', 'userId'],
  pin: ['type', 'id'],
  unpin: ['type'],
  announce: ['type', 'text'],
  settings: ['type', 'settings'],
  approve: ['type', 'id'],
  deny: ['type', 'id', 'reason'],
};

/** Longest timeout: 14 days. */
export const MAX_TIMEOUT_S = 14 * 24 * 3600;
const USER_ID = /^[\x21-\x7e]{1,128}$/;

/** An error that keeps the request's `ref` so the reply can be matched to it. */
function fail(code: ErrorCode, message: string, ref: number | undefined): ProtocolError {
  return new ProtocolError(code, message, { ref });
}

function readRef(fields: Fields): number | undefined {
  const ref = fields.ref;
  if (ref === undefined) return undefined;
  if (typeof ref !== 'number' || !Number.isInteger(ref) || ref < 0 || ref > Limits.refMax) {
    throw fail(ErrorCode.InvalidField, 'ref must be an integer from 0 to 2^32-1', undefined);
  }
  return ref;
}

function readString(
  fields: Fields,
  key: string,
  maxChars: number,
  ref: number | undefined,
): string {
  const value = fields[key];
  if (typeof value !== 'string') throw fail(ErrorCode.InvalidField, `${key} must be a string`, ref);
  // A cheap cap before any per-character work; exact limits are checked by the rules that own them.
  if (value.length > maxChars * 2) {
    throw fail(ErrorCode.InvalidField, `${key} is longer than ${maxChars} characters`, ref);
  }
  if (!isCleanUnicode(value)) throw fail(ErrorCode.InvalidUtf8, `${key} is not valid UTF-8`, ref);
  return value;
}

function readStream(fields: Fields, ref: number | undefined): string {
  const stream = fields.stream;
  if (typeof stream !== 'string')
    throw fail(ErrorCode.InvalidField, 'stream must be a string', ref);
  if (!isStreamId(stream)) {
    throw fail(ErrorCode.InvalidStream, 'stream must be 1-64 characters of A-Z a-z 0-9 _ -', ref);
  }
  return stream;
}

/** `message` (always a fresh object here) with `ref` set last, as a spread would; no copy. */
function withRef<T extends object>(message: T, ref: number | undefined): T & { ref?: number } {
  if (ref !== undefined) (message as T & { ref?: number }).ref = ref;
  return message;
}

/**
 * Turns a decoded frame into a typed client message, strictly: unknown types and fields, wrong
 * types, oversize strings and invalid UTF-8 are all `ProtocolError`s with a documented code.
 * The result holds only the listed fields, so nothing else from the wire travels further.
 */
export function parseClientMessage(value: unknown): ClientMessage {
  if (!isPlainObject(value)) {
    throw fail(ErrorCode.BadFrame, 'a frame must be an object', undefined);
  }
  const ref = readRef(value);
  const type = value.type;
  if (typeof type !== 'string') throw fail(ErrorCode.InvalidField, 'type must be a string', ref);
  if (!Object.hasOwn(FIELDS, type)) {
    throw fail(ErrorCode.UnknownType, `unknown message type "${type.slice(0, 32)}"`, ref);
  }
  const kind = type as ClientMessageType;
  const allowed = FIELDS[kind];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw fail(ErrorCode.InvalidField, `unknown field "${key.slice(0, 32)}" in ${kind}`, ref);
    }
  }
  switch (kind) {
    case 'join': {
      const stream = readStream(value, ref);
      const join: JoinRequest = { type: kind, stream };
      if (value.since !== undefined)
        join.since = readString(value, 'since', Limits.messageIdMaxChars, ref);
      if (value.stateVersion !== undefined) {
        if (!isStateVersion(value.stateVersion))
          throw fail(ErrorCode.InvalidField, 'stateVersion must be an integer from 0', ref);
        join.stateVersion = value.stateVersion;
      }
      return withRef(join, ref);
    }
    case 'leave':
      return withRef({ type: kind, stream: readStream(value, ref) }, ref);
    case 'chat': {
      const stream = readStream(value, ref);
      return withRef(
        { type: kind, stream, text: readString(value, 'text', Limits.chatMaxChars, ref) },
        ref,
      );
    }
    case 'react': {
      const stream = readStream(value, ref);
      const emoji = readString(value, 'emoji', Limits.emojiMaxChars, ref);
      return withRef({ type: kind, stream, emoji }, ref);
    }
    case 'ping':
      return withRef({ type: kind }, ref);
    case 'mod':
      return withRef(
        { type: kind, stream: readStream(value, ref), action: parseModAction(value.action, ref) },
        ref,
      );
    case 'widget':
      return parseWidgetFields(value, readStream(value, ref), ref);
    // Q&A (issue 14)
    case 'ask': {
      const stream = readStream(value, ref);
      const text = readString(value, 'text', Limits.questionMaxChars, ref);
      return withRef({ type: kind, stream, text }, ref);
    }
    case 'upvote': {
      const stream = readStream(value, ref);
      return withRef({ type: kind, stream, id: readQuestionId(value, ref) }, ref);
    }
    case 'qa_mod':
      return withRef(
        { type: kind, stream: readStream(value, ref), action: parseQaAction(value.action, ref) },
        ref,
      );
    case 'qa_mine':
      return withRef({ type: kind, stream: readStream(value, ref) }, ref);
    // Polls
    case 'vote':
      return parseVote(value, readStream(value, ref), ref);
    case 'poll':
      return parsePollCommand(value, readStream(value, ref), ref);
  }
}

// ---- Q&A (issue 14) ----

const QUESTION_ID = /^[A-Za-z0-9_-]{1,32}$/;
const QA_ACTIONS: Record<QaAction['type'], boolean> = {
  open: false,
  close: false,
  hide: true,
  show: true,
  answer: true,
  pick: true,
  unpick: false,
};

function readQuestionId(fields: Fields, ref: number | undefined, key = 'id'): string {
  const id = fields[key];
  if (typeof id !== 'string' || !QUESTION_ID.test(id)) {
    throw fail(ErrorCode.InvalidField, `${key} must be a question id`, ref);
  }
  return id;
}

/**
 * Checks that `value` is an `action` object: its `type` one of `types`' keys, and no field that
 * type does not `allow`; else an InvalidField error that names the types or the field.
 */
function checkAction<T extends string>(
  value: unknown,
  types: Record<T, unknown>,
  allow: (type: T, key: string) => boolean,
  ref: number | undefined,
): asserts value is Record<string, unknown> & { type: T } {
  if (
    !isPlainObject(value) ||
    typeof value.type !== 'string' ||
    !Object.hasOwn(types, value.type)
  ) {
    throw fail(
      ErrorCode.InvalidField,
      `action.type must be one of ${Object.keys(types).join(', ')}`,
      ref,
    );
  }
  const type = value.type as T;
  for (const key of Object.keys(value)) {
    if (!allow(type, key)) {
      throw fail(
        ErrorCode.InvalidField,
        `unknown field "action.${key.slice(0, 32)}" in ${type}`,
        ref,
      );
    }
  }
}

/** A moderator's Q&A action, strictly (the `action` of a `qa_mod`); the SDK checks with it too. */
export function parseQaAction(value: unknown, ref?: number): QaAction {
  checkAction(
    value,
    QA_ACTIONS,
    (type, key) => key === 'type' || (QA_ACTIONS[type] && key === 'id'),
    ref,
  );
  const type = value.type;
  if (type === 'open' || type === 'close' || type === 'unpick') return { type };
  return { type, id: readQuestionId(value, ref, 'id') };
}

/** A moderation action, strictly (the `action` of a `mod`); the SDK checks with it too. */
export function parseModAction(value: unknown, ref?: number): ModAction {
  checkAction(value, ACTION_FIELDS, (type, key) => ACTION_FIELDS[type].includes(key), ref);
  const type = value.type;
  const reason =
    value.reason === undefined ? {} : { reason: readString(value, 'reason', 200, ref) };
  const userId = (): string => {
    const id = value.userId;
    if (typeof id !== 'string' || !USER_ID.test(id)) {
      throw fail(
        ErrorCode.InvalidField,
        'action.userId must be 1-128 printable ASCII characters',
        ref,
      );
    }
    return id;
  };
  const messageId = (): string => readString(value, 'id', Limits.messageIdMaxChars, ref);
  switch (type) {
    case 'delete':
      return { type, id: messageId(), ...reason };
    case 'clear':
      return { type, ...reason };
    case 'timeout': {
      const seconds = value.seconds;
      if (
        typeof seconds !== 'number' ||
        !Number.isInteger(seconds) ||
        seconds < 1 ||
        seconds > MAX_TIMEOUT_S
      ) {
        throw fail(
          ErrorCode.InvalidField,
          `action.seconds must be an integer from 1 to ${MAX_TIMEOUT_S}`,
          ref,
        );
      }
      return { type, userId: userId(), seconds, ...reason };
    }
    case 'ban':
      return { type, userId: userId(), ...reason };
    case 'unban':
      return { type, userId: userId() };
    case 'pin':
      return { type, id: messageId() };
    case 'unpin':
      return { type };
    case 'announce':
      return { type, text: readString(value, 'text', Limits.chatMaxChars, ref) };
    case 'settings':
      try {
        return { type, settings: parseSettingsPatch(value.settings) };
      } catch (error) {
        if (error instanceof ProtocolError) throw fail(error.code, error.message, ref);
        throw error;
      }
    case 'approve':
      return { type, id: messageId() };
    case 'deny':
      return { type, id: messageId(), ...reason };
  }
}
