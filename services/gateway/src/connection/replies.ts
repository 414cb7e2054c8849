import type { ErrorMessage, RoarError, ServerMessage } from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import { close, type Disconnect } from '../transport/disconnect.js';
import type { Socket } from '../transport/socket.js';

/**
 * What a connection is told, and how it is closed: every reply of the connection layer goes out
 * here, encoded in the connection's codec and counted.
 */
export class Replies {
  readonly #metrics: GatewayMetrics;

  constructor(metrics: GatewayMetrics) {
    this.#metrics = metrics;
  }

  send(ws: Socket, message: ServerMessage): void {
    const codec = ws.getUserData().codec;
    ws.send(codec.encodeServer(message), codec.binary);
    this.#metrics.replyOut();
  }

  /** An `error` reply: to the request `ref`, about `stream`, with the error's retry hint. */
  reject(ws: Socket, error: RoarError, ref = error.ref, stream?: string): void {
    this.#metrics.rejectedFrames.inc({ code: error.code });
    const message: ErrorMessage = { type: 'error', code: error.code, message: error.message };
    if (ref !== undefined) message.ref = ref;
    if (stream !== undefined) message.stream = stream;
    if (error.retryAfterMs !== undefined) message.retryAfterMs = error.retryAfterMs;
    if (error.version !== undefined) message.version = error.version;
    this.send(ws, message);
  }

  /** Closes the connection for `disconnect`'s reason (see `Disconnect`), counted by code. */
  close(ws: Socket, disconnect: Disconnect): void {
    close(ws, disconnect, this.#metrics);
  }
}
