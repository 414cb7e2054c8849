import type { HttpReply } from '../base/http.js';
import type { Session, Socket } from './socket.js';

// What the gateway asks of a transport, whichever carries the connection: uWebSockets.js
// (`uws.ts`, WebSocket and HTTP) or server-sent events (`sse.ts`, the fallback). Neither
// transport imports the other; the layers above see only these types and `Socket`.

export interface UpgradeRequest {
  query: URLSearchParams;
  header(name: string): string | undefined;
  ip: string;
}

export type UpgradeResult = { session: Session; protocol: string } | { reject: HttpReply };

export interface WebSocketHandlers {
  /** Decides an upgrade, synchronously: a session to open, or an HTTP reply refusing it. */
  upgrade(req: UpgradeRequest): UpgradeResult;
  open(ws: Socket): void;
  message(ws: Socket, data: ArrayBuffer, isBinary: boolean): void;
  close(ws: Socket, code: number): void;
  /** The socket's send buffer drained. */
  drain?(ws: Socket): void;
  /** A frame was dropped because the socket's buffer passed the hard limit. */
  dropped?(ws: Socket): void;
}

/** A writable long-lived response. `write` returns false when the client is not keeping up. */
export interface EventStream {
  write(chunk: string): boolean;
  end(): void;
  /** Closes the connection at once, dropping what is buffered (a slow reader). */
  abort(): void;
  readonly open: boolean;
}

export type StreamDecision =
  | { reject: HttpReply }
  | { headers: Record<string, string>; onOpen(stream: EventStream): void; onClose(): void };
