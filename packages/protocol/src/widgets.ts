import { ErrorCode, ProtocolError } from './errors.js';
import { isCleanUnicode } from './text.js';
import type { WidgetRequest } from './messages.js';
import { isPlainObject } from './validate-util.js';

/**
 * Limits of a stream's live state (live widgets). Values are small JSON because every viewer
 * receives every change: a score, not a scoreboard's history.
 */
export const StateLimits = {
  /** Most bytes of a value's JSON text (UTF-8). */
  valueMaxBytes: 1024,
  /** Deepest nesting of arrays and objects in a value. */
  valueMaxDepth: 8,
  /** Most keys one stream's live state holds at once. */
  keysPerStream: 32,
  /** Most characters of an idempotency key. */
  idempotencyKeyMaxChars: 64,
} as const;

/** Key names: 1–32 of `A–Z a–z 0–9 _ . -`, starting with a letter or digit. */
export const STATE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** Idempotency keys: 1–64 of `A–Z a–z 0–9 _ . : -`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function isStateKey(value: unknown): value is string {
  return typeof value === 'string' && STATE_KEY_PATTERN.test(value);
}

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value);
}

/** True for a version a write may be conditional on: an integer from 0 to 2^53−1. */
export function isStateVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The JSON text of a state value, checked: only JSON (objects, arrays, strings, finite numbers,
 * booleans, null), at most `valueMaxDepth` deep and `valueMaxBytes` long. Throws `ProtocolError`
 * `invalid_field` for what is not JSON, `state_value_too_large` for what is too big; the walk
 * stops at the first node past a limit, so an oversize value costs no more than the limit.
 */
export function stateValueJson(value: unknown, ref?: number): string {
  let budget = StateLimits.valueMaxBytes;
  const walk = (v: unknown, depth: number): void => {
    // Every node costs at least a byte of JSON: a cheap bound before stringifying.
    if (--budget < 0) throw tooLarge(ref);
    if (v === null || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid('a state value’s numbers must be finite', ref);
      return;
    }
    if (typeof v === 'string') {
      budget -= v.length;
      if (budget < 0) throw tooLarge(ref);
      if (!isCleanUnicode(v))
        throw new ProtocolError(ErrorCode.InvalidUtf8, 'not valid UTF-8', { ref });
      return;
    }
    if (depth >= StateLimits.valueMaxDepth) throw tooLarge(ref);
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
      return;
    }
    if (isPlainObject(v)) {
      for (const [k, item] of Object.entries(v)) {
        budget -= k.length;
        if (!isCleanUnicode(k))
          throw new ProtocolError(ErrorCode.InvalidUtf8, 'not valid UTF-8', { ref });
        walk(item, depth + 1);
      }
      return;
    }
    throw invalid(
      'a state value must be JSON (objects, arrays, strings, numbers, booleans, null)',
      ref,
    );
  };
  if (value === undefined) throw invalid('value is required', ref);
  walk(value, 0);
  const json = JSON.stringify(value);
  if (utf8Bytes(json) > StateLimits.valueMaxBytes) throw tooLarge(ref);
  return json;
}

/** UTF-8 length of a string of well-formed UTF-16, without encoding it. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function tooLarge(ref: number | undefined): ProtocolError {
  return new ProtocolError(
    ErrorCode.StateValueTooLarge,
    `a state value is at most ${StateLimits.valueMaxBytes} bytes of JSON, ${StateLimits.valueMaxDepth} levels deep`,
    { ref },
  );
}

function invalid(message: string, ref: number | undefined): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidField, message, { ref });
}

/**
 * The fields of a `widget` request after `type`, `ref` and `stream` (see `parseClientMessage`):
 * a valid key and op, a value where the op needs one (an object for `patch`), and the optional
 * `ifVersion` and `idempotencyKey`. Throws `ProtocolError` naming the field.
 */
export function parseWidgetFields(
  fields: Record<string, unknown>,
  stream: string,
  ref: number | undefined,
): WidgetRequest {
  const { key, op, value, ifVersion, idempotencyKey } = fields;
  if (!isStateKey(key))
    throw invalid('key must be 1-32 of A-Z a-z 0-9 _ . -, starting with a letter or digit', ref);
  if (op !== 'set' && op !== 'patch' && op !== 'delete')
    throw invalid('op must be set, patch or delete', ref);
  const request: WidgetRequest = { type: 'widget', stream, key, op };
  if (ref !== undefined) request.ref = ref;
  if (op === 'delete') {
    if (value !== undefined) throw invalid('delete takes no value', ref);
  } else {
    if (op === 'patch' && !isPlainObject(value)) throw invalid('patch takes an object value', ref);
    stateValueJson(value, ref);
    request.value = value;
  }
  if (ifVersion !== undefined) {
    if (!isStateVersion(ifVersion))
      throw invalid('ifVersion must be an integer from 0 to 2^53-1', ref);
    request.ifVersion = ifVersion;
  }
  if (idempotencyKey !== undefined) {
    if (!isIdempotencyKey(idempotencyKey))
      throw invalid('idempotencyKey must be 1-64 of A-Z a-z 0-9 _ . : -', ref);
    request.idempotencyKey = idempotencyKey;
  }
  return request;
}
