import { jsonCodec, type Frame } from '@roar/protocol';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { json, jsonError, type HttpHandler } from '../base/http.js';
import { Disconnect, close } from './disconnect.js';
import type { Session, Socket } from './socket.js';
import type { EventStream, StreamDecision, UpgradeRequest, UpgradeResult } from './transport.js';

/** Comment lines every so often keep proxies from closing an idle event stream. */
const KEEPALIVE_MS = 15_000;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The fallback for clients whose network blocks WebSocket: server-sent events down
 * (`GET /v1/sse`), HTTP POST up (`POST /v1/sse/{session}?key={key}`), JSON frames only. The
 * stream's first event (`event: session`) gives its owner the session and a write key; a POST
 * needs both, so knowing a session id (it is in the welcome, and in logs) is not enough to speak
 * for someone. Each SSE connection
 * is a `Socket` to the rest of the gateway, so the protocol, limits and moderation are the same;
 * it subscribes to the JSON topics here, and fanout publishes to both.
 */
export class SseHub {
  readonly #sessions = new Map<string, SseSocket>();
  readonly #topics = new Map<string, Set<SseSocket>>();
  readonly #keepalive: NodeJS.Timeout;

  constructor() {
    this.#keepalive = setInterval(() => {
      for (const s of this.#sessions.values()) s.comment();
    }, KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  subscribers(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  publish(topic: string, frame: Frame): void {
    const subs = this.#topics.get(topic);
    if (!subs) return;
    const text = typeof frame === 'string' ? frame : new TextDecoder().decode(frame);
    for (const s of subs) s.send(text);
  }

  /** `GET /v1/sse`: an upgrade decided like a WebSocket's, then a stream. */
  opener(
    decide: (req: UpgradeRequest) => UpgradeResult,
    handlers: { open(ws: Socket): void; close(ws: Socket): void },
  ): (req: UpgradeRequest) => StreamDecision {
    return (req) => {
      const decision = decide(req);
      if ('reject' in decision) return decision;
      if (decision.session.codec !== jsonCodec) {
        return {
          reject: jsonError(
            400,
            'unsupported_protocol',
            'the event-stream fallback speaks JSON only',
          ),
        };
      }
      const socket = new SseSocket(decision.session, this);
      return {
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
          'access-control-allow-origin': '*',
        },
        onOpen: (stream) => {
          socket.attach(stream);
          this.#sessions.set(decision.session.id, socket);
          handlers.open(socket);
        },
        onClose: () => {
          this.#sessions.delete(decision.session.id);
          socket.detach();
          if (!decision.session.closed) {
            decision.session.closed = true;
            handlers.close(socket);
          }
        },
      };
    };
  }

  /**
   * `POST /v1/sse/{session}?key={key}`: one client frame, answered (if at all) on the event
   * stream. A wrong key is answered like an unknown session, so it tells nothing.
   */
  poster(message: (ws: Socket, data: ArrayBuffer) => void): HttpHandler {
    return (req) => {
      const socket = this.#sessions.get(req.params.session ?? '');
      if (!socket?.owns(req.query.get('key') ?? '')) {
        return jsonError(404, 'not_found', 'no such event stream: open a new one', {
          'access-control-allow-origin': '*',
        });
      }
      const body = req.body ?? new Uint8Array();
      const copy = body.buffer.slice(
        body.byteOffset,
        body.byteOffset + body.byteLength,
      ) as ArrayBuffer;
      message(socket, copy);
      return json(202, { accepted: true }, { 'access-control-allow-origin': '*' });
    };
  }

  /** @internal */
  join(topic: string, s: SseSocket): void {
    let set = this.#topics.get(topic);
    if (!set) this.#topics.set(topic, (set = new Set()));
    set.add(s);
  }

  /** @internal */
  leave(topic: string, s: SseSocket): boolean {
    const set = this.#topics.get(topic);
    if (!set?.delete(s)) return false;
    if (set.size === 0) this.#topics.delete(topic);
    return true;
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const s of [...this.#sessions.values()]) close(s, Disconnect.ServerClosing);
  }
}

/** One SSE connection, seen by the gateway as a Socket. */
class SseSocket implements Socket {
  readonly #session: Session;
  readonly #hub: SseHub;
  readonly #topics = new Set<string>();
  /** The write key, given to the owner only, in the stream's first event. */
  readonly #key = randomBytes(18).toString('base64url');
  readonly #keyHash = digest(this.#key);
  #stream: EventStream | undefined;
  #backlog = 0;

  constructor(session: Session, hub: SseHub) {
    this.#session = session;
    this.#hub = hub;
  }

  attach(stream: EventStream): void {
    this.#stream = stream;
    // A comment first, so proxies flush the headers at once; then the owner's write key.
    stream.write(': roar\n\n');
    const hello = JSON.stringify({ session: this.#session.id, key: this.#key });
    stream.write(`event: session\ndata: ${hello}\n\n`);
  }

  /** True when `key` is this stream's write key (compared in constant time). */
  owns(key: string): boolean {
    return timingSafeEqual(digest(key), this.#keyHash);
  }

  detach(): void {
    for (const t of this.#topics) this.#hub.leave(t, this);
    this.#topics.clear();
    this.#stream = undefined;
  }

  comment(): void {
    this.#stream?.write(': keepalive\n\n');
  }

  send(message: Uint8Array | string): number {
    if (!this.#stream?.open) return 2;
    const text = typeof message === 'string' ? message : new TextDecoder().decode(message);
    const ok = this.#stream.write(`data: ${text}\n\n`);
    this.#backlog = ok ? 0 : this.#backlog + text.length;
    return ok ? 1 : 0;
  }

  /** True, as uWS answers: subscribed afterwards, once however often asked. */
  subscribe(topic: string): boolean {
    this.#hub.join(topic, this);
    this.#topics.add(topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    this.#topics.delete(topic);
    return this.#hub.leave(topic, this);
  }

  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  end(code = 1000, shortMessage = ''): void {
    if (!this.#stream?.open) return;
    this.#stream.write(`event: close\ndata: ${JSON.stringify({ code, reason: shortMessage })}\n\n`);
    this.#stream.end();
  }

  close(): void {
    this.#stream?.abort();
  }

  /**
   * What was written since the stream last had room, 0 once it has room again. uWS tells whether
   * a response's buffer emptied only through a write, so a backlogged stream is asked with an
   * empty comment line (EventSource ignores it): a stream that caught up reads 0 without waiting
   * for the next frame, as a WebSocket's buffered amount does.
   */
  getBufferedAmount(): number {
    if (this.#backlog > 0 && this.#stream?.open && this.#stream.write(':\n\n')) this.#backlog = 0;
    return this.#backlog;
  }

  getUserData(): Session {
    return this.#session;
  }

  cork(cb: () => void): unknown {
    cb();
    return this;
  }
}
