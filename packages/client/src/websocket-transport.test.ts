import { codecs, type Incoming } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { settle } from '../test/fakes.js';
import { describeTransportContract, type TransportFixture } from '../test/transport-contract.js';
import type { ConnectRequest } from './transport.js';
import { WebSocketTransport, type WebSocketLike } from './websocket-transport.js';

interface SocketEvent {
  data: unknown;
  code: unknown;
  reason: unknown;
}
type Handler = (event: SocketEvent) => void;

/** Just enough of a browser WebSocket to drive the transport. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | undefined;
  static failNext = false;
  binaryType = 'blob';
  readyState = 0;
  readonly sent: (string | Uint8Array)[] = [];
  readonly handlers = new Map<string, Handler[]>();
  closedWith: [number | undefined, string | undefined] | undefined;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    if (FakeSocket.failNext) {
      FakeSocket.failNext = false;
      throw new Error('blocked port');
    }
    FakeSocket.last = this;
  }

  addEventListener(type: string, listener: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }

  fire(type: string, fields: Partial<SocketEvent> = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    const event = { data: undefined, code: undefined, reason: undefined, ...fields };
    for (const h of this.handlers.get(type) ?? []) h(event);
  }
}

function request(fields: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    url: 'wss://roar.test/ws',
    codec: codecs.msgpack,
    token: undefined,
    anonId: 'device-1234',
    ...fields,
  };
}

function open(fields: Partial<ConnectRequest> = {}) {
  const events: (string | [string, unknown])[] = [];
  const transport = new WebSocketTransport(FakeSocket);
  transport.open(request(fields), {
    open: () => events.push('open'),
    message: (data: Incoming) => events.push(['message', data]),
    close: (code, reason) => events.push(['close', [code, reason]]),
  });
  const socket = FakeSocket.last;
  if (!socket) throw new Error('no socket');
  return { transport, socket, events };
}

describe('WebSocketTransport', () => {
  it('offers the codec subprotocol and sends the anonymous id, or the token, in the query', () => {
    const anon = open();
    expect(anon.socket.url).toBe('wss://roar.test/ws?anon=device-1234');
    expect(anon.socket.protocols).toEqual(['roar.v1.msgpack']);
    const signedIn = open({ token: 'a.b.c', codec: codecs.json });
    expect(signedIn.socket.url).toBe('wss://roar.test/ws?token=a.b.c');
    expect(signedIn.socket.protocols).toEqual(['roar.v1.json']);
  });

  it('asks for binary frames as ArrayBuffer and passes frames through in order', () => {
    const { socket, events } = open();
    expect(socket.binaryType).toBe('arraybuffer');
    socket.fire('open');
    const bytes = new Uint8Array([0x81, 0xa1, 0x61, 0x01]).buffer;
    socket.fire('message', { data: bytes });
    socket.fire('message', { data: '{"type":"x"}' });
    socket.fire('message', { data: new Uint8Array([1]) }); // a Node Buffer is a Uint8Array
    socket.fire('message', { data: { not: 'a frame' } });
    socket.fire('close', { code: 4000, reason: 'restart' });
    expect(events).toEqual([
      'open',
      ['message', bytes],
      ['message', '{"type":"x"}'],
      ['message', new Uint8Array([1])],
      ['close', [4000, 'restart']],
    ]);
  });

  it('sends binary frames as they are', () => {
    const { transport, socket } = open();
    socket.fire('open');
    expect(transport.send(new Uint8Array([1, 2]))).toBe(true);
    expect(socket.sent).toEqual([new Uint8Array([1, 2])]);
  });

  it('closes the socket with the client’s code and reason', () => {
    const { transport, socket } = open();
    socket.fire('open');
    transport.close(1000, 'bye');
    expect(socket.closedWith).toEqual([1000, 'bye']);
  });
});

describeTransportContract('WebSocketTransport', (): TransportFixture => {
  const transport = new WebSocketTransport(FakeSocket);
  return {
    transport,
    open(listener) {
      FakeSocket.last = undefined;
      transport.open(request({ codec: codecs.json }), listener);
      const socket = FakeSocket.last as FakeSocket | undefined;
      if (!socket) return undefined;
      return {
        accept: () => socket.fire('open'),
        push: (frame) => socket.fire('message', { data: frame }),
        end: (code, reason) => socket.fire('close', { code, reason }),
        // Browsers report 1006 then; a close event without a code is the same to the transport.
        drop: () => socket.fire('close'),
        received: async () => socket.sent.map((frame) => String(frame)),
        closedByClient: () => socket.closedWith !== undefined,
      };
    },
    failNextDial: () => void (FakeSocket.failNext = true),
    settle,
  };
});
