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

/** How often `sweep` runs (the gateway's beat). */
export const SWEEP_EVERY_MS = 250;
/**
 * Each connection's send buffer is read once per this long: a sweep reads its share of them
 * (`SWEEP_ROUND_MS / SWEEP_EVERY_MS` sweeps to a round). On the bench's VM, reading a socket's
 * buffered amount once its memory has gone cold costs 1–3 µs (more the longer since the last
 * read): reading every socket at every sweep was a quarter of an idle gateway's CPU at 5,000
 * viewers (14–18 ms/s by perf; 11–13 ms/s read this way) in loop turns of about 5 ms, which
 * this cuts to a quarter.
 */
export const SWEEP_ROUND_MS = 1000;
const SWEEPS_PER_ROUND = SWEEP_ROUND_MS / SWEEP_EVERY_MS;

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
  /** The sockets open when this round began, and the next of them to read. */
  #round: Socket[] = [];
  #next = 0;
  /** Bytes buffered in the sockets read so far this round, and over the last whole round. */
  #roundBytes = 0;
  #buffered = 0;

  constructor(options: SlowClientOptions, metrics: GatewayMetrics) {
    this.#o = options;
    this.#metrics = metrics;
  }

  /** Connections currently on the priority tier. */
  get slow(): number {
    return this.#slow;
  }

  /**
   * Checks the next share of the sockets: a round reads each socket open at its start once, over
   * `SWEEP_ROUND_MS / SWEEP_EVERY_MS` sweeps (sockets opened meanwhile wait for the next round).
   * Returns the bytes buffered across them over the last whole round (a pressure signal). Every
   * socket is read in every round it was open at the start of, so a client past a limit is found
   * within two rounds (2 s) of passing it.
   */
  sweep(sockets: Iterable<Socket>, now: number): number {
    if (this.#next >= this.#round.length) {
      this.#round = [...sockets];
      this.#next = 0;
    }
    const round = this.#round;
    const end = Math.min(round.length, this.#next + Math.ceil(round.length / SWEEPS_PER_ROUND));
    // The index moves first: a socket whose check throws is not read again and again.
    while (this.#next < end) this.#roundBytes += this.#check(round[this.#next++] as Socket, now);
    if (this.#next >= round.length) {
      this.#buffered = this.#roundBytes;
      this.#roundBytes = 0;
      // Closed sockets are not kept until the next round starts.
      this.#round = [];
      this.#next = 0;
    }
    return this.#buffered;
  }

  /** One socket: demoted, promoted or closed as its send buffer says; returns what it holds. */
  #check(ws: Socket, now: number): number {
    const s = ws.getUserData();
    // Closed since the round began: uWS throws on any read of a closed socket but this one.
    if (!s.open) return 0;
    const buffered = ws.getBufferedAmount();
    if (buffered > this.#o.hardBytes) {
      this.close(ws);
    } else if (s.slowSince === undefined) {
      if (buffered > this.#o.softBytes) this.#demote(ws, now);
    } else if (buffered < this.#o.softBytes / 4) {
      this.#promote(ws);
    } else if (now - s.slowSince > this.#o.maxSlowMs) {
      this.close(ws);
    }
    return buffered;
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
