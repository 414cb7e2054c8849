import type { Admission } from './admission.js';
import type { GatewayMetrics } from '../base/metrics.js';
import { Disconnect, close } from '../transport/disconnect.js';
import type { Socket } from '../transport/socket.js';

export interface SlowClientOptions {
  /** Above this many buffered bytes a client gets only priority frames and counts. */
  softBytes: number;
  /** Above this it is closed at once. */
  hardBytes: number;
  /** Closed after this long above the soft limit. */
  maxSlowMs: number;
  /** Moves a socket to a stream's priority tier (or back), in its slice: `Fanout.moveTier`. */
  moveTier: (ws: Socket, stream: string, toPriority: boolean) => void;
  /** Counts an aborted socket against its address while the kernel may still hold it. */
  admission: Admission;
  now: () => number;
}

/**
 * Backpressure by priority. A client whose send buffer passes the soft limit moves to its
 * streams' priority topics (moderation, priority chat, the latest count) until it drains below a
 * quarter of the limit; one that stays slow too long, or passes the hard limit, is aborted
 * (counted as 4001, slow consumer; see `close`). The others never wait for it: uWS buffers per
 * socket.
 */
export class SlowClients {
  readonly #o: SlowClientOptions;
  readonly #metrics: GatewayMetrics;
  #slow = 0;

  constructor(options: SlowClientOptions, metrics: GatewayMetrics) {
    this.#o = options;
    this.#metrics = metrics;
  }

  /** Connections currently on the priority tier. */
  get slow(): number {
    return this.#slow;
  }

  /** Checks every socket; returns the bytes buffered across them (a pressure signal). */
  sweep(sockets: Iterable<Socket>, now: number): number {
    let total = 0;
    for (const ws of sockets) {
      const s = ws.getUserData();
      if (!s.open) continue;
      const buffered = ws.getBufferedAmount();
      total += buffered;
      if (buffered > this.#o.hardBytes) {
        this.close(ws);
      } else if (s.slowSince === undefined) {
        if (buffered > this.#o.softBytes) this.#demote(ws, now);
      } else if (buffered < this.#o.softBytes / 4) {
        this.#promote(ws);
      } else if (now - s.slowSince > this.#o.maxSlowMs) {
        this.close(ws);
      }
    }
    return total;
  }

  /** A drained socket may be ready to get everything again. */
  drained(ws: Socket): void {
    const s = ws.getUserData();
    if (s.open && s.slowSince !== undefined && ws.getBufferedAmount() < this.#o.softBytes / 4)
      this.#promote(ws);
  }

  /**
   * Closes a slow consumer: it should reconnect, and will resume from its last message. The close
   * is abortive (uWS `close()`): a 4001 close frame would queue behind the MiBs the client is not
   * reading, and uWS kept such a socket open, buffer and all, after `end()`; `close()` frees the
   * buffer and the descriptor at once. The client sees 1006 and reconnects with backoff. The
   * kernel still holds the socket (FIN-WAIT-1) until it gives up on the peer, so its address
   * keeps the admission slot that long.
   */
  close(ws: Socket): void {
    const s = ws.getUserData();
    if (!s.open) return;
    if (s.slowSince !== undefined) this.#slow--;
    s.slowSince = undefined;
    this.#metrics.slowClients.inc({ action: 'closed' });
    this.#o.admission.lingering(s.ip, this.#o.now());
    close(ws, Disconnect.SlowConsumer, this.#metrics);
  }

  /** Called when a connection closes for any reason. */
  forget(ws: Socket): void {
    if (ws.getUserData().slowSince !== undefined) this.#slow--;
  }

  #demote(ws: Socket, now: number): void {
    const s = ws.getUserData();
    s.slowSince = now;
    this.#slow++;
    this.#metrics.slowClients.inc({ action: 'demoted' });
    for (const stream of s.streams) this.#o.moveTier(ws, stream, true);
  }

  #promote(ws: Socket): void {
    const s = ws.getUserData();
    s.slowSince = undefined;
    this.#slow--;
    this.#metrics.slowClients.inc({ action: 'recovered' });
    for (const stream of s.streams) this.#o.moveTier(ws, stream, false);
  }
}
