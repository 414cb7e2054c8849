import {
  codecs,
  pack,
  type ClientMessage,
  type ClientCodec,
  type Frame,
  type ServerMessage,
  type WelcomeMessage,
} from '@roar/protocol';
import type { Clock, Timer } from '../src/clock.js';
import type { ConnectRequest, Transport, TransportListener } from '../src/transport.js';

interface Scheduled {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to, firing due timers in time order. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Scheduled[] = [];

  constructor(start = 1_800_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): Timer {
    const timer: Scheduled = {
      at: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Delays of the pending timers from now, soonest first. */
  pendingDelays(): number[] {
    return this.#timers
      .filter((t) => !t.cancelled)
      .map((t) => t.at - this.#now)
      .sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let fired = 0; ; fired++) {
      if (fired > 100_000) throw new Error('timers keep scheduling timers: a loop?');
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: Scheduled | undefined;
      for (const t of this.#timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
          next = t;
        }
      }
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      next.callback();
    }
    this.#now = end;
  }
}

/** Lets promise callbacks (token functions, request replies) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * One scripted connection: records what the client sends (decoded) and plays the server's side,
 * keeping the `Transport` guarantees (nothing after the client's close).
 */
export class FakeTransport implements Transport {
  request: ConnectRequest | undefined;
  listener: TransportListener | undefined;
  readonly sent: ClientMessage[] = [];
  closedByClient: { code: number; reason: string } | undefined;
  #open = false;

  /** The codec the client asked for. */
  get codec(): ClientCodec {
    if (!this.request) throw new Error('not opened yet');
    return this.request.codec;
  }

  open(request: ConnectRequest, listener: TransportListener): void {
    this.request = request;
    this.listener = listener;
  }

  send(frame: Frame): boolean {
    if (!this.#open) return false;
    // The server's own parser: what the client sends must pass it.
    this.sent.push(codecs[this.codec.name].decodeClient(frame));
    return true;
  }

  close(code: number, reason: string): void {
    this.closedByClient = { code, reason };
    this.listener = undefined;
    this.#open = false;
  }

  /** The socket opens and the server welcomes the client. */
  welcome(overrides: Partial<WelcomeMessage> = {}): void {
    this.#open = true;
    this.listener?.open();
    this.push({ type: 'welcome', v: 1, session: 's1', user: null, maxStreams: 10, ...overrides });
  }

  /** Delivers a server message; `object` allows types the protocol union does not have yet. */
  push(
    message: ServerMessage | { readonly type: string; readonly [field: string]: unknown },
  ): void {
    const frame = this.codec.name === 'json' ? JSON.stringify(message) : pack(message);
    this.listener?.message(frame);
  }

  /** The connection ends from the server's side or the network's. */
  drop(code = 1006, reason = ''): void {
    this.#open = false;
    const listener = this.listener;
    this.listener = undefined;
    listener?.close(code, reason);
  }

  /** The last message of `type` the client sent. */
  last<K extends ClientMessage['type']>(type: K): Extract<ClientMessage, { type: K }> {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const m = this.sent[i];
      if (m?.type === type) return m as Extract<ClientMessage, { type: K }>;
    }
    throw new Error(`the client sent no ${type}`);
  }
}

/** Hands out a fresh `FakeTransport` per connection attempt and remembers them all. */
export class FakeNetwork {
  readonly transports: FakeTransport[] = [];
  readonly factory = (): FakeTransport => {
    const transport = new FakeTransport();
    this.transports.push(transport);
    return transport;
  };

  get last(): FakeTransport {
    const t = this.transports.at(-1);
    if (!t) throw new Error('no connection attempt yet');
    return t;
  }
}
