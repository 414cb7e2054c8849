import { CloseCode, ErrorCode, type RoarError } from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Socket } from './socket.js';

/**
 * Why the server ends a connection, as one value (centrifuge's `Disconnect`): the close code, from
 * `CloseCode` (whose range tells the client whether to reconnect), and the reason sent with it.
 */
export interface Disconnect {
  readonly code: CloseCode;
  readonly reason: string;
  /**
   * Dropped at once, with no close frame (the client sees 1006): a close frame would queue
   * behind the bytes the client is not reading, and the socket's buffer would stay.
   */
  readonly abort?: boolean;
}

/** Every way the gateway ends a connection; `close` is the one path that does it. */
export const Disconnect = {
  /** Draining for a restart or a deploy: reconnect, after the delay the `reconnect` message said. */
  ServerRestart: { code: CloseCode.ServerRestart, reason: 'server restarting' },
  /** The SSE fallback's streams, ended as the server closes. */
  ServerClosing: { code: CloseCode.GoingAway, reason: 'server closing' },
  /** Fell too far behind; counted under 4001, aborted (see `abort`). */
  SlowConsumer: { code: CloseCode.SlowConsumer, reason: 'slow consumer', abort: true },
  /** Kept sending over the frame rate, or too much before its welcome. */
  Flood: { code: CloseCode.Flood, reason: 'flood' },
  /** Kept sending malformed frames: a broken client. */
  ProtocolViolation: { code: CloseCode.ProtocolViolation, reason: 'too many malformed frames' },
  /** The token was refused (the reason is the error's code). */
  Unauthorized: { code: CloseCode.Unauthorized, reason: ErrorCode.TokenInvalid },
  /** The token expired (the reason is the error's code). */
  TokenExpired: { code: CloseCode.TokenExpired, reason: ErrorCode.TokenExpired },
} as const satisfies Record<string, Disconnect>;

/** The refusal of a connection whose sign-in failed: the error's code is the reason given. */
export function refusal(error: RoarError): Disconnect {
  // The app's sign-in (connect hook) could not answer: not the client's fault, so reconnect.
  if (error.code === ErrorCode.Unavailable)
    return { code: CloseCode.InternalError, reason: ErrorCode.Unavailable };
  const d =
    error.code === ErrorCode.TokenExpired ? Disconnect.TokenExpired : Disconnect.Unauthorized;
  return d.reason === error.code ? d : { code: d.code, reason: error.code };
}

/**
 * Ends a connection: with a close frame carrying the code and reason, or aborted. Counted by
 * code in `roar_server_closes_total` when `metrics` is given (closes the server decides).
 */
export function close(
  ws: Socket,
  disconnect: Disconnect,
  metrics?: Pick<GatewayMetrics, 'closes'>,
): void {
  metrics?.closes.inc({ code: String(disconnect.code) });
  if (disconnect.abort) ws.close();
  else ws.end(disconnect.code, disconnect.reason);
}
