import type { ErrorCode } from '@roar/protocol/core';

/** Codes the client raises itself, beside the server's `ErrorCode`s. Stable: apps switch on them. */
export const ClientErrorCode = {
  /** No reply within `requestTimeoutMs`. The server may still have acted on the request. */
  Timeout: 'timeout',
  /** The connection was not open, or dropped before the reply arrived. */
  Disconnected: 'disconnected',
  /** Refused before anything was sent: a bad stream id, chat text, emoji or option. */
  InvalidArgument: 'invalid_argument',
  /** `close()` was called. */
  Closed: 'closed',
  /** `leave()` was called while the join was still pending. */
  Cancelled: 'cancelled',
  /** Too many requests are waiting for replies at once. */
  TooManyRequests: 'too_many_requests',
  /** The `token` function threw or returned something other than a string. */
  TokenError: 'token_error',
  /** The server closed with a do-not-reconnect code and sent no error saying why. */
  ConnectionRefused: 'connection_refused',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** What a `RoarClientError` may carry besides its code and message. */
export interface RoarClientErrorOptions {
  cause?: unknown;
  retryAfterMs?: number | undefined;
  stream?: string | undefined;
  closeCode?: number | undefined;
  version?: number | undefined;
}

/**
 * Every error the client reports, as a rejected promise or an `error` event. `code` is a protocol
 * `ErrorCode` when the server refused something, a `ClientErrorCode` otherwise.
 */
export class RoarClientError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  /** For `rate_limited` and `flood`: milliseconds until the server accepts the action again. */
  readonly retryAfterMs: number | undefined;
  /** The stream the error is about, when there is one. */
  readonly stream: string | undefined;
  /** The WebSocket close code, for errors that ended the connection. */
  readonly closeCode: number | undefined;
  /** For `version_conflict`: the live-state key's current version (0: it does not exist). */
  readonly version: number | undefined;

  constructor(
    code: ErrorCode | ClientErrorCode,
    message: string,
    options: RoarClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RoarClientError';
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.stream = options.stream;
    this.closeCode = options.closeCode;
    this.version = options.version;
  }
}

/** A rejected promise with an `invalid_argument` error, for checks made before sending. */
export function invalidArgument(message: string, cause?: unknown): Promise<never> {
  return Promise.reject(new RoarClientError(ClientErrorCode.InvalidArgument, message, { cause }));
}
