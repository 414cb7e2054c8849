import { backoffDelayMs, isRefusal, RECONNECT_BACKOFF } from '@roar/protocol/core';
import { schedule as defaultSchedule, type Schedule } from './timing.js';

/** The part of a browser WebSocket the overlay uses. */
export interface OverlaySocket {
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  send(data: string): void;
  close(): void;
}
export type OverlaySocketConstructor = new (url: string, protocols: string) => OverlaySocket;

export interface LiveOptions {
  /** `ws(s)://host/ws?anon=…`: the gateway's WebSocket endpoint, with the anonymous id. */
  url: string;
  stream: string;
  onCount(total: number): void;
  /** Live widgets: each `state` event of the stream (snapshots and changes), unchecked. */
  onState?(event: { changes?: unknown; snapshot?: unknown }): void;
  /** The server said not to come back (a 4500–4999 close): the element polls instead. */
  onRefused(): void;
  /**
   * The connection closed (or a dial was refused, as in a connection storm) and is being
   * retried: the element polls the cacheable count meanwhile, until `onCount` speaks again.
   */
  onWaiting?(): void;
  WebSocket?: OverlaySocketConstructor;
  schedule?: Schedule;
  random?: () => number;
}

/** A server's suggested delay above this is a bug, not a plan. */
const MAX_HINT_MS = 10 * 60_000;

/**
 * The live count over the JSON subprotocol, nothing else: one anonymous connection that joins
 * the stream and reads the `viewers` events in its batches (chat and reactions in the same
 * frames are skipped unread). Reconnects with the SDK's full-jitter backoff plus any delay the
 * server asked for; the attempt count resets once the stream is joined again.
 */
export class LiveViewers {
  readonly #o: LiveOptions;
  readonly #schedule: Schedule;
  readonly #random: () => number;
  #socket: OverlaySocket | undefined;
  #cancel: (() => void) | undefined;
  #attempt = 0;
  #hintMs = 0;
  #running = false;

  constructor(options: LiveOptions) {
    this.#o = options;
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#dial();
  }

  stop(): void {
    this.#running = false;
    this.#cancel?.();
    this.#cancel = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
    }
  }

  #dial(): void {
    const Socket = this.#o.WebSocket ?? (globalThis.WebSocket as OverlaySocketConstructor);
    let socket: OverlaySocket;
    try {
      socket = new Socket(this.#o.url, 'roar.v1.json');
    } catch {
      // A blocked port or a bad URL: the same as a dial that failed.
      return this.#retry();
    }
    this.#socket = socket;
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.#frame(socket, event.data);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      // Only a refusal (4500–4999) ends live mode: every other close, 1000 included, dials again.
      if (isRefusal(event.code)) {
        this.stop();
        return this.#o.onRefused();
      }
      this.#o.onWaiting?.();
      this.#retry();
    };
  }

  #frame(socket: OverlaySocket, data: string): void {
    let m: { type?: unknown; stream?: unknown; events?: unknown; viewers?: unknown };
    try {
      m = JSON.parse(data) as typeof m;
    } catch {
      return; // A frame we cannot read says nothing about the count.
    }
    switch (m.type) {
      case 'welcome':
        socket.send(JSON.stringify({ type: 'join', ref: 1, stream: this.#o.stream }));
        return;
      case 'joined':
        this.#attempt = 0;
        return this.#count(m.viewers);
      case 'batch':
        if (m.stream !== this.#o.stream || !Array.isArray(m.events)) return;
        for (const e of m.events as { type?: unknown }[]) {
          if (e.type === 'viewers') this.#count(e);
          else if (e.type === 'state') this.#o.onState?.(e as { changes?: unknown });
        }
        return;
      case 'reconnect': {
        const delayMs = (m as { delayMs?: unknown }).delayMs;
        if (typeof delayMs === 'number' && delayMs >= 0) {
          this.#hintMs = Math.min(delayMs, MAX_HINT_MS);
        }
        return;
      }
      case 'error':
        // The join was refused (a bad stream id, too many streams): retrying will not help.
        if ((m as { ref?: unknown }).ref === 1) {
          this.stop();
          this.#o.onRefused();
        }
        return;
    }
  }

  #count(value: unknown): void {
    const total = (value as { total?: unknown } | undefined)?.total;
    if (typeof total === 'number') this.#o.onCount(total);
  }

  #retry(): void {
    if (!this.#running) return;
    // The SDK's curve and jitter (500 ms doubling to 30 s), from the protocol package.
    const delayMs = this.#hintMs + backoffDelayMs(this.#attempt++, RECONNECT_BACKOFF, this.#random);
    this.#hintMs = 0;
    this.#cancel = this.#schedule(() => {
      this.#cancel = undefined;
      if (this.#running) this.#dial();
    }, delayMs);
  }
}
