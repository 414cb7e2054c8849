import type { Codec, ServerMessage } from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import { Disconnect } from '../transport/disconnect.js';
import type { Socket } from '../transport/socket.js';
import type { Replies } from './replies.js';

const DRAIN_STEP_MS = 100;

/**
 * The connections open on this gateway, and what is done to all of them at once: a broadcast of
 * rare news, and the drain that closes them all at shutdown.
 */
export class OpenConnections {
  readonly #open = new Set<Socket>();
  readonly #replies: Replies;
  readonly #metrics: GatewayMetrics;
  readonly #sliceSockets: number;

  constructor(replies: Replies, metrics: GatewayMetrics, sliceSockets: number) {
    this.#replies = replies;
    this.#metrics = metrics;
    this.#sliceSockets = sliceSockets;
  }

  get sockets(): ReadonlySet<Socket> {
    return this.#open;
  }

  add(ws: Socket): void {
    this.#open.add(ws);
  }

  delete(ws: Socket): void {
    this.#open.delete(ws);
  }

  /**
   * Sends one message to every connection, encoded once per codec. For rare news (the
   * degradation level): a topic for it would cost every connection a subscription. Like fanout,
   * it writes a slice of sockets per event-loop turn, never all 19k at once.
   */
  broadcast(message: ServerMessage): void {
    const frames = new Map<Codec, Uint8Array | string>();
    const sockets = [...this.#open];
    const slice = this.#sliceSockets;
    const sendFrom = (from: number): void => {
      const to = Math.min(sockets.length, from + slice);
      let sent = 0;
      for (let i = from; i < to; i++) {
        const ws = sockets[i] as Socket;
        const s = ws.getUserData();
        if (s.closed || !s.open || !s.ready) continue;
        let frame = frames.get(s.codec);
        if (frame === undefined) frames.set(s.codec, (frame = s.codec.encodeServer(message)));
        ws.send(frame, s.codec.binary);
        sent++;
      }
      this.#metrics.framesOut.inc(sent);
      if (to < sockets.length) setImmediate(() => sendFrom(to));
    };
    sendFrom(0);
  }

  /**
   * Closes every connection with 4000 (reconnect), spread evenly over `windowMs` in random
   * order, so a deploy does not send the whole audience to the other gateways in one instant.
   * Each connection is told a small extra delay to spread its slice too.
   */
  async drain(windowMs: number): Promise<void> {
    const sockets = [...this.#open];
    for (let i = sockets.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [sockets[i], sockets[j]] = [sockets[j] as Socket, sockets[i] as Socket];
    }
    const slices = Math.max(1, Math.floor(windowMs / DRAIN_STEP_MS));
    const perSlice = Math.ceil(sockets.length / slices);
    for (let i = 0; i < sockets.length; i += perSlice) {
      for (const ws of sockets.slice(i, i + perSlice)) {
        if (!ws.getUserData().open) continue;
        ws.cork(() => {
          this.#replies.send(ws, {
            type: 'reconnect',
            delayMs: Math.floor(Math.random() * DRAIN_STEP_MS),
            reason: 'draining',
          });
          this.#replies.close(ws, Disconnect.ServerRestart);
        });
      }
      if (i + perSlice < sockets.length) await new Promise((r) => setTimeout(r, DRAIN_STEP_MS));
    }
  }
}
