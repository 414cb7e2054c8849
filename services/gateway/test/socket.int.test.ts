import { jsonCodec } from '@roar/protocol';
import { waitFor } from '@roar/testkit';
import { request, type IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { Session, Socket } from '../src/transport/socket.js';
import { SseHub } from '../src/transport/sse.js';
import { UwsTransport } from '../src/transport/uws.js';
import {
  describeSocketContract,
  type PeerEnd,
  type SocketHarness,
  type SocketPeer,
} from './socket-contract.js';

let sessions = 0;

function newSession(): Session {
  const id = `s${++sessions}`;
  return {
    id,
    identity: { key: `c:${id}`, userId: undefined, name: id, roles: [], anonymous: true },
    signIn: undefined,
    ready: true,
    backlog: undefined,
    codec: jsonCodec,
    ip: '127.0.0.1',
    streams: [],
    joining: undefined,
    open: false,
    closed: false,
    frames: undefined,
    floodDrops: 0,
    badFrames: 0,
    slowSince: undefined,
  };
}

/** A uWS transport on a loopback port whose handlers record opens and closes. */
async function server(mount: (t: UwsTransport, handlers: Handlers) => void) {
  const errors: unknown[] = [];
  const transport = new UwsTransport({
    maxPayloadBytes: 4096,
    idleTimeoutS: 60,
    // Above what the buffering case sends: its frames are buffered, never dropped.
    maxBackpressureBytes: 256 << 20,
    clientAddress: (peer) => peer,
    onError: (error) => errors.push(error),
  });
  const opened: Socket[] = [];
  const closes = new Map<Socket, number>();
  mount(transport, {
    open: (ws) => {
      opened.push(ws);
    },
    close: (ws) => {
      closes.set(ws, (closes.get(ws) ?? 0) + 1);
    },
  });
  const port = await transport.listen('127.0.0.1', 0);
  return {
    port,
    /** The socket of the next connection, once its open handler has run. */
    async next(): Promise<Socket> {
      const n = opened.length;
      await waitFor(() => opened.length > n, { message: 'the open handler' });
      return opened[n] as Socket;
    },
    closes: (ws: Socket) => closes.get(ws) ?? 0,
    stop(): void {
      transport.close();
      if (errors.length > 0) throw new Error(`handler errors: ${String(errors[0])}`);
    },
  };
}

interface Handlers {
  open(ws: Socket): void;
  close(ws: Socket): void;
}

async function uwsHarness(): Promise<SocketHarness> {
  let t: UwsTransport | undefined;
  const s = await server((transport, handlers) => {
    t = transport;
    transport.websocket('/ws', {
      upgrade: () => ({ session: newSession(), protocol: 'roar.v1.json' }),
      open: handlers.open,
      message: () => undefined,
      close: handlers.close,
    });
  });
  const peers: WebSocket[] = [];
  return {
    async connect() {
      const next = s.next();
      const client = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, 'roar.v1.json');
      peers.push(client);
      const frames: string[] = [];
      client.on('message', (data, isBinary) => {
        if (!isBinary) frames.push(String(data));
      });
      // An abrupt end also raises an error; the close event says what the test needs.
      client.on('error', () => undefined);
      const ended = new Promise<PeerEnd>((resolve) => {
        client.on('close', (code, reason) =>
          resolve(code === 1006 ? 'abrupt' : { code, reason: String(reason) }),
        );
      });
      const socket = await next;
      await waitFor(() => client.readyState === WebSocket.OPEN, { message: 'the client open' });
      const peer: SocketPeer = {
        frames,
        ended,
        pause: () => client.pause(),
        resume: () => client.resume(),
        leave: () => client.close(1000),
      };
      return { socket, session: socket.getUserData(), peer };
    },
    publish: (topic, frame) => t?.publish(topic, frame, false),
    closes: s.closes,
    async stop() {
      for (const c of peers) c.terminate();
      s.stop();
    },
  };
}

async function sseHarness(): Promise<SocketHarness> {
  const hub = new SseHub();
  const s = await server((transport, handlers) => {
    transport.streamRoute(
      '/v1/sse',
      hub.opener(() => ({ session: newSession(), protocol: 'roar.v1.json' }), handlers),
    );
  });
  const peers: { destroy(): void }[] = [];
  return {
    async connect() {
      const next = s.next();
      const frames: string[] = [];
      let closeEvent: { code: number; reason: string } | undefined;
      let res: IncomingMessage | undefined;
      const req = request({ host: '127.0.0.1', port: s.port, path: '/v1/sse' });
      peers.push(req);
      const ended = new Promise<PeerEnd>((resolve) => {
        req.on('error', () => resolve('abrupt'));
        req.on('response', (r) => {
          res = r;
          r.setEncoding('utf8');
          let buffer = '';
          r.on('data', (chunk: string) => {
            buffer += chunk;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const lines = buffer.slice(0, end).split('\n');
              buffer = buffer.slice(end + 2);
              const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
              const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
              if (data.length === 0) continue; // a comment
              if (event === 'close') closeEvent = JSON.parse(data.join('\n')) as typeof closeEvent;
              else if (event === undefined) frames.push(data.join('\n'));
            }
          });
          r.on('error', () => undefined);
          r.on('close', () => resolve(r.complete && closeEvent ? closeEvent : 'abrupt'));
        });
      });
      req.end();
      const socket = await next;
      await waitFor(() => res !== undefined, { message: 'the response headers' });
      const peer: SocketPeer = {
        frames,
        ended,
        pause: () => res?.pause(),
        resume: () => res?.resume(),
        leave: () => req.destroy(),
      };
      return { socket, session: socket.getUserData(), peer };
    },
    publish: (topic, frame) => hub.publish(topic, frame),
    closes: s.closes,
    async stop() {
      for (const p of peers) p.destroy();
      hub.close();
      s.stop();
    },
  };
}

describeSocketContract('uWS WebSocket', uwsHarness);
describeSocketContract('SSE', sseHarness);
