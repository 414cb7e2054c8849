// Sockets for tests that drive the gateway's layers without uWS: a session as the upgrade makes
// it, and a socket that records what it is sent.
import { msgpackCodec, type ServerMessage } from '@roar/protocol';
import { AnonymousIdentity } from '../src/base/anonymous.js';
import type { Session, Socket } from '../src/transport/socket.js';

/** A session with every field the upgrade sets: an open, ready, anonymous connection unless `init` says otherwise. */
export function fakeSession(id: string, init: Partial<Session> = {}): Session {
  return {
    id,
    identity: new AnonymousIdentity(`c:${id}`),
    signIn: undefined,
    ready: true,
    backlog: undefined,
    codec: msgpackCodec,
    ip: '127.0.0.1',
    streams: [],
    joining: undefined,
    open: true,
    closed: false,
    frames: undefined,
    floodDrops: 0,
    badFrames: 0,
    slowSince: undefined,
    ...init,
  };
}

/**
 * What every fake socket shares: the session, and the parts of a socket tests do not watch (no
 * backpressure, closing does nothing, cork runs at once). Sending and subscribing are each fake's.
 */
export abstract class SessionSocket implements Socket {
  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  abstract send(message: Uint8Array | string): number;
  abstract subscribe(topic: string): boolean;
  abstract unsubscribe(topic: string): boolean;
  abstract isSubscribed(topic: string): boolean;
  end(): void {}
  close(): void {}
  getBufferedAmount(): number {
    return 0;
  }
  getUserData(): Session {
    return this.#session;
  }
  cork(cb: () => void): void {
    cb();
  }
}

/** A socket that keeps what it is sent, decoded; subscriptions do nothing. */
export class RecordingSocket extends SessionSocket {
  readonly sent: ServerMessage[] = [];

  send(message: Uint8Array | string): number {
    this.sent.push(msgpackCodec.decodeServer(message));
    return 1;
  }
  subscribe(): boolean {
    return true;
  }
  unsubscribe(): boolean {
    return false;
  }
  isSubscribed(): boolean {
    return false;
  }
}
