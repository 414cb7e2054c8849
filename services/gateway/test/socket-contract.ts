import { waitFor } from '@roar/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session, Socket } from '../src/transport/socket.js';

/** How a client saw its connection end: a close with code and reason, or cut off without one. */
export type PeerEnd = { code: number; reason: string } | 'abrupt';

/** The client end of one connection, a real client over loopback. */
export interface SocketPeer {
  /** Text frames received, in order (for SSE the `data:` events, not its own events). */
  readonly frames: string[];
  /** Settles when the connection has ended, with how the client saw it end. */
  readonly ended: Promise<PeerEnd>;
  /** Stops reading: the kernel's buffers fill, then the server's. */
  pause(): void;
  resume(): void;
  /** The client goes away. */
  leave(): void;
}

/** A real server of one transport on a loopback port, and a way to connect real clients. */
export interface SocketHarness {
  /** Opens a connection: the gateway side's socket (its open handler has run) and the client. */
  connect(): Promise<{ socket: Socket; session: Session; peer: SocketPeer }>;
  /** Publishes to every socket of the transport subscribed to `topic`. */
  publish(topic: string, frame: string): void;
  /** How many times the close handler has run for `socket`. */
  closes(socket: Socket): number;
  stop(): Promise<void>;
}

/** Enough frames of this size overflow loopback's kernel buffers into the server's. */
const CHUNK = 'x'.repeat(16 * 1024);
const MAX_CHUNKS = 2000;

/**
 * What the gateway relies on from a `Socket`, whichever transport carries it (see `Socket` in
 * `src/transport/socket.ts`), run against the uWS WebSocket and the SSE fallback with real
 * clients. Calls after the close handler ran are not covered: no handler makes them (uWS throws).
 */
export function describeSocketContract(name: string, start: () => Promise<SocketHarness>): void {
  describe(`Socket contract: ${name}`, () => {
    let h: SocketHarness;
    beforeEach(async () => {
      h = await start();
    });
    afterEach(async () => {
      await h.stop();
    });

    it('delivers text frames in order, corked or not, and reports each as written', async () => {
      const { socket, peer } = await h.connect();
      expect(socket.send('a')).toBe(1);
      let sent: number[] = [];
      socket.cork(() => {
        sent = [socket.send('b'), socket.send('c')];
      });
      expect(sent).toEqual([1, 1]);
      await waitFor(() => peer.frames.length >= 3, { message: 'three frames' });
      expect(peer.frames).toEqual(['a', 'b', 'c']);
    });

    it('gives back the session it was opened with', async () => {
      const { socket, session } = await h.connect();
      expect(socket.getUserData()).toBe(session);
    });

    it('receives what is published to its topics, once each, and nothing after unsubscribing', async () => {
      const { socket, peer } = await h.connect();
      expect(socket.isSubscribed('t')).toBe(false);
      expect(socket.subscribe('t')).toBe(true);
      // Subscribing again changes nothing: still one subscription.
      expect(socket.subscribe('t')).toBe(true);
      expect(socket.isSubscribed('t')).toBe(true);
      h.publish('t', 'one');
      h.publish('other', 'not mine');
      expect(socket.unsubscribe('t')).toBe(true);
      expect(socket.unsubscribe('t')).toBe(false);
      expect(socket.isSubscribed('t')).toBe(false);
      h.publish('t', 'after');
      // A frame sent after the publishes marks that any of them would have arrived by now.
      socket.send('marker');
      await waitFor(() => peer.frames.includes('marker'), { message: 'the marker frame' });
      expect(peer.frames).toEqual(['one', 'marker']);
    });

    it('end(code, reason): the close handler runs once at once, and the client sees the close', async () => {
      const { socket, session, peer } = await h.connect();
      socket.send('last');
      socket.end(4000, 'bye');
      expect(h.closes(socket)).toBe(1);
      expect(session.closed).toBe(true);
      expect(await peer.ended).toEqual({ code: 4000, reason: 'bye' });
      // What was sent before the close arrives before it.
      expect(peer.frames).toEqual(['last']);
      expect(h.closes(socket)).toBe(1);
    });

    it('close(): the close handler runs once at once, and the client is cut off with no close', async () => {
      const { socket, session, peer } = await h.connect();
      socket.close();
      expect(h.closes(socket)).toBe(1);
      expect(session.closed).toBe(true);
      expect(await peer.ended).toBe('abrupt');
      expect(h.closes(socket)).toBe(1);
    });

    it('the client leaving runs the close handler once, with the session marked closed', async () => {
      const { socket, session, peer } = await h.connect();
      peer.leave();
      await waitFor(() => h.closes(socket) > 0, { message: 'the close handler' });
      expect(session.closed).toBe(true);
      await peer.ended;
      expect(h.closes(socket)).toBe(1);
    });

    it('buffers for a client that stops reading, and drains to 0 once it reads again', async () => {
      const { socket, peer } = await h.connect();
      expect(socket.getBufferedAmount()).toBe(0);
      peer.pause();
      let sent = 0;
      let status = 1;
      while (sent < MAX_CHUNKS && status === 1) {
        status = socket.send(CHUNK);
        sent++;
      }
      // 0: written to the buffer (backpressure), not dropped.
      expect(status).toBe(0);
      expect(socket.getBufferedAmount()).toBeGreaterThan(0);
      peer.resume();
      // Nothing more is sent: the buffer drains by itself, and the amount says so.
      await waitFor(() => socket.getBufferedAmount() === 0, {
        timeoutMs: 10_000,
        message: 'the buffer to drain',
      });
      await waitFor(() => peer.frames.length >= sent, {
        timeoutMs: 10_000,
        message: `${sent} frames`,
      });
      expect(peer.frames.length).toBe(sent);
      expect(peer.frames.every((f) => f === CHUNK)).toBe(true);
    });
  });
}
