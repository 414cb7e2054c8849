import { ErrorCode, ProtocolError } from './errors.js';
import { Limits, isStreamId } from './limits.js';
import type { ClientMessage, ClientMessageType } from './messages.js';
import { isCleanUnicode } from './text.js';

type Fields = Record<string, unknown>;

/** The fields each client message may carry; anything else is rejected. */
const FIELDS: Record<ClientMessageType, readonly string[]> = {
  join: ['type', 'ref', 'stream', 'since'],
  leave: ['type', 'ref', 'stream'],
  chat: ['type', 'ref', 'stream', 'text'],
  react: ['type', 'ref', 'stream', 'emoji'],
  ping: ['type', 'ref'],
};

export function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

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

function withRef<T extends object>(message: T, ref: number | undefined): T & { ref?: number } {
  return ref === undefined ? message : { ...message, ref };
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
      if (value.since === undefined) return withRef({ type: kind, stream }, ref);
      const since = readString(value, 'since', Limits.messageIdMaxChars, ref);
      return withRef({ type: kind, stream, since }, ref);
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
  }
}
