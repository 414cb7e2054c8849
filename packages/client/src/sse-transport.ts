import { httpBase } from './http-base.js';
import { jsonClientCodec, type Frame } from '@roar/protocol/core';
import {
  endpointUrl,
  type ConnectRequest,
  type Transport,
  type TransportListener,
} from './transport.js';

/**
 * The part of an `EventSource` the fallback uses. The browser's satisfies it; on Node pass any
 * implementation (the `eventsource` package, or your own over `fetch`). Listener parameters are
 * checked at run time, as for `WebSocketLike`.
 */
export interface EventSourceLike {
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(
    type: 'message' | 'close' | 'session',
    listener: (event: { data?: unknown }) => void,
  ): void;
  close(): void;
}

/** An `EventSource` constructor: `globalThis.EventSource` in browsers. */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** The part of `fetch` the fallback uses to send frames; `globalThis.fetch` satisfies it. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number }>;

export interface SseTransportOptions {
  EventSource: EventSourceConstructor;
  fetch: FetchLike;
  /** Most frames waiting to be posted; past it `send` returns false. Default 64. */
  maxQueued?: number;
}

/** Close code for a stream that ended without the server's `close` event. */
const ABNORMAL = 1006;
const DEFAULT_MAX_QUEUED = 64;

/**
 * The fallback endpoint next to a WebSocket endpoint: `wss://host/prefix/ws` becomes
 * `https://host/prefix/v1/sse`, so a gateway mounted under a path keeps its prefix.
 */
export function eventStreamBase(wsUrl: string): string {
  return `${httpBase(wsUrl)}/v1/sse`;
}

/**
 * Where this stream's frames go: the stream's first event (`event: session`) carries the session
 * and a write key only its owner sees; the key makes a POST speak for this stream.
 */
function postUrl(base: string, data: unknown): string | undefined {
  try {
    const value: unknown = typeof data === 'string' ? JSON.parse(data) : undefined;
    if (typeof value !== 'object' || value === null) return undefined;
    const { session, key } = value as { session?: unknown; key?: unknown };
    if (typeof session !== 'string' || typeof key !== 'string') return undefined;
    return `${base}/${encodeURIComponent(session)}?key=${encodeURIComponent(key)}`;
  } catch {
    // A malformed session event leaves the transport unable to send; the first send says so.
    return undefined;
  }
}

/**
 * `Transport` for networks that block WebSocket: server-sent events down (`GET /v1/sse`), one
 * HTTP POST per frame up (`POST /v1/sse/{session}?key={key}`, `text/plain` so browsers skip the CORS
 * preflight), JSON frames only. Frames are posted one at a time, so the server sees them in the
 * order they were sent. A POST that fails, or a stream that errors, ends the connection (close
 * 1006) rather than letting `EventSource` retry by itself: reconnecting, with backoff and a fresh
 * token, is the client's job.
 */
export class SseTransport implements Transport {
  readonly kind = 'sse';
  readonly fixedCodec = jsonClientCodec;
  readonly #o: Required<SseTransportOptions>;
  #listener: TransportListener | undefined;
  #source: EventSourceLike | undefined;
  #postUrl: string | undefined;
  #queue: string[] = [];
  #posting = false;

  constructor(options: SseTransportOptions) {
    this.#o = { maxQueued: DEFAULT_MAX_QUEUED, ...options };
  }

  open(request: ConnectRequest, listener: TransportListener): void {
    this.#listener = listener;
    const base = eventStreamBase(request.url);
    let source: EventSourceLike;
    try {
      source = new this.#o.EventSource(endpointUrl({ ...request, url: base }));
    } catch (error) {
      // A constructor that throws (a bad URL, a blocked scheme) still ends in exactly one close.
      queueMicrotask(() => this.#ended(ABNORMAL, error instanceof Error ? error.message : ''));
      return;
    }
    this.#source = source;
    source.addEventListener('open', () => this.#listener?.open());
    source.addEventListener('session', (event) => {
      this.#postUrl ??= postUrl(base, event.data);
    });
    source.addEventListener('message', (event) => {
      const data = event.data;
      if (typeof data !== 'string' || !this.#listener) return;
      this.#listener.message(data);
    });
    source.addEventListener('close', (event) => {
      const { code, reason } = parseClose(event.data);
      this.#ended(code, reason);
    });
    source.addEventListener('error', () => this.#ended(ABNORMAL, 'the event stream failed'));
  }

  send(frame: Frame): boolean {
    if (!this.#listener || this.#postUrl === undefined || typeof frame !== 'string') return false;
    if (this.#queue.length >= this.#o.maxQueued) return false;
    this.#queue.push(frame);
    if (!this.#posting) void this.#postNext(this.#postUrl);
    return true;
  }

  close(_code: number, _reason: string): void {
    // The server sees the event stream close; it has no way to receive a code from us.
    this.#listener = undefined;
    this.#stop();
  }

  /** Posts queued frames one after another, until the queue is empty or the transport ends. */
  async #postNext(url: string): Promise<void> {
    const body = this.#queue.shift();
    if (body === undefined || !this.#listener) {
      this.#posting = false;
      return;
    }
    this.#posting = true;
    let failure: string | undefined;
    try {
      const res = await this.#o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body,
      });
      // 404: the server forgot the session (it restarted, or the stream ended): start over.
      if (!res.ok) failure = `the server refused a frame (${res.status})`;
    } catch (error) {
      failure = error instanceof Error ? error.message : 'a frame could not be posted';
    }
    if (failure !== undefined) {
      this.#posting = false;
      return this.#ended(ABNORMAL, failure);
    }
    return this.#postNext(url);
  }

  #stop(): void {
    const source = this.#source;
    this.#source = undefined;
    this.#postUrl = undefined;
    this.#queue = [];
    source?.close();
  }

  #ended(code: number, reason: string): void {
    const listener = this.#listener;
    this.#listener = undefined;
    this.#stop();
    listener?.close(code, reason);
  }
}

/** The `close` event's `{code, reason}`; a malformed one counts as an abnormal close. */
function parseClose(data: unknown): { code: number; reason: string } {
  try {
    const value: unknown = typeof data === 'string' ? JSON.parse(data) : undefined;
    if (typeof value === 'object' && value !== null) {
      const { code, reason } = value as { code?: unknown; reason?: unknown };
      if (typeof code === 'number' && Number.isInteger(code)) {
        return { code, reason: typeof reason === 'string' ? reason : '' };
      }
    }
  } catch {
    // Fall through: the server said it was closing, but not how; reconnect as after a drop.
  }
  return { code: ABNORMAL, reason: 'the event stream closed' };
}
