import type { ClientCodec, Frame, Incoming } from '@roar/protocol/core';

/** What a transport needs to reach the server. */
export interface ConnectRequest {
  /** The WebSocket endpoint as the app configured it, e.g. `wss://roar.example.com/ws`. */
  url: string;
  /** The wire format; a transport offers its subprotocol and sends frames of its kind. */
  codec: ClientCodec;
  /** Bearer token for a signed-in user. */
  token: string | undefined;
  /** Stable anonymous id, sent when there is no token. */
  anonId: string | undefined;
  /** An admission ticket (see admission.ts), sent while the client waits for its place. */
  ticket?: string | undefined;
}

/** Callbacks a transport calls; see `Transport` for the order they come in. */
export interface TransportListener {
  open(): void;
  /** One server frame, undecoded. */
  message(data: Incoming): void;
  /** The connection ended. 1006 when there was no close frame (a dropped network, a refused dial). */
  close(code: number, reason: string): void;
}

/**
 * One connection to the server, used once. The client logic sees only this, so a fallback
 * (server-sent events down, HTTP POST up) can replace the WebSocket without touching it.
 *
 * Guarantees: after `open()` the listener gets at most one `open`, then frames in the order the
 * server sent them, then exactly one `close`, even when the connection never opened. After the
 * client calls `close()` the listener gets nothing more.
 */
export interface Transport {
  /** What carries the frames, for display and support: `websocket`, `sse`, or an app's own name. */
  readonly kind?: string;
  /**
   * The wire format this transport can carry, when it cannot carry every one (the event-stream
   * fallback speaks JSON only). The client then encodes and decodes with it instead of its own.
   */
  readonly fixedCodec?: ClientCodec;
  open(request: ConnectRequest, listener: TransportListener): void;
  /** Sends one frame; false when it could not be sent (not open, or already closing). */
  send(frame: Frame): boolean;
  close(code: number, reason: string): void;
}

/** Makes a fresh transport for each connection attempt. */
export type TransportFactory = () => Transport;

/** The endpoint URL with the identity parameters browsers can send (they cannot set headers). */
export function endpointUrl(request: ConnectRequest): string {
  const url = new URL(request.url);
  if (request.token !== undefined) url.searchParams.set('token', request.token);
  else if (request.anonId !== undefined) url.searchParams.set('anon', request.anonId);
  if (request.ticket !== undefined) url.searchParams.set('ticket', request.ticket);
  return url.toString();
}
