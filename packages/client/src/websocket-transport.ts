import type { Frame, Incoming } from '@roar/protocol/core';
import {
  endpointUrl,
  type ConnectRequest,
  type Transport,
  type TransportListener,
} from './transport.js';

/**
 * The part of a WebSocket the client uses. Both the browser's `WebSocket` and the `ws` package's
 * satisfy it. TypeScript checks listener parameters loosely here (method bivariance), so event
 * fields are checked at run time instead of trusted.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code?: unknown; reason?: unknown }) => void,
  ): void;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

const OPEN = 1;
/** Close code for a connection that ended without a close frame. */
const ABNORMAL = 1006;

function incoming(data: unknown): Incoming | undefined {
  if (typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Uint8Array) {
    return data;
  }
  return undefined;
}

/** `Transport` over a WebSocket; the token and anonymous id travel as query parameters. */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  readonly #WebSocket: WebSocketConstructor;
  #socket: WebSocketLike | undefined;
  #listener: TransportListener | undefined;

  constructor(WebSocket: WebSocketConstructor) {
    this.#WebSocket = WebSocket;
  }

  open(request: ConnectRequest, listener: TransportListener): void {
    this.#listener = listener;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(endpointUrl(request), [request.codec.subprotocol]);
    } catch (error) {
      // A constructor that throws (a blocked port, say) must still end in exactly one close.
      queueMicrotask(() => this.#closed(ABNORMAL, error instanceof Error ? error.message : ''));
      return;
    }
    this.#socket = socket;
    // Browsers deliver binary frames as Blob by default, which cannot be decoded synchronously.
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => this.#listener?.open());
    // `ws` throws an 'error' that nobody listens to; a close event always follows and says enough.
    socket.addEventListener('error', () => undefined);
    socket.addEventListener('message', (event) => {
      const data = incoming(event.data);
      if (data !== undefined) this.#listener?.message(data);
    });
    socket.addEventListener('close', (event) => {
      const code = typeof event.code === 'number' ? event.code : ABNORMAL;
      this.#closed(code, typeof event.reason === 'string' ? event.reason : '');
    });
  }

  send(frame: Frame): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(frame);
      return true;
    } catch {
      // Some runtimes throw on a socket that is closing; the close event follows and says why.
      return false;
    }
  }

  /** `code` must be 1000 or 3000–4999 and `reason` at most 123 bytes, or browsers throw. */
  close(code: number, reason: string): void {
    this.#listener = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(code, reason);
  }

  #closed(code: number, reason: string): void {
    const listener = this.#listener;
    this.#listener = undefined;
    this.#socket = undefined;
    listener?.close(code, reason);
  }
}
