import {
  ErrorCode,
  isStreamId,
  type ClientMessage,
  type ErrorMessage,
  type JoinedMessage,
  type ModAction,
  type ServerMessage,
  type WelcomeMessage,
} from '@roar/protocol/core';
import { checkChatText, checkEmoji, checkModRequest, checkStream } from './checks.js';
import type { Timer } from './clock.js';
import { ClockOffset } from './clock-offset.js';
import { Connection, resolveToken } from './connection.js';
import { deferred, type Deferred } from './deferred.js';
import { Delivery } from './delivery.js';
import { ClientErrorCode, RoarClientError, invalidArgument } from './errors.js';
import { Emitter, type ConnectionState, type Listener, type RoarClientEvents } from './events.js';
import {
  CLOCK_PING_INTERVAL_MS,
  DEDUPE_WINDOW,
  JSON_ONLY,
  MAX_IN_FLIGHT,
  resolveOptions,
  type CodecTable,
  type ResolvedOptions,
  type RoarClientOptions,
} from './options.js';
import type { FeatureHost } from './feature-host.js';
import { Joins } from './joins.js';
import { PendingRequests, type Replies, type RequestKind } from './pending-requests.js';

let hostOf: (client: RoarClient) => FeatureHost;

/** What the feature entries use of `client` (see `FeatureHost`); not part of the public API. */
export function featureHost(client: RoarClient): FeatureHost {
  return hostOf(client);
}

/** Counters for dashboards and support. */
export interface ClientStats {
  /** Connections lost and retried since the client was made. */
  reconnects: number;
  /** Chat messages dropped because they had been delivered already (resume overlaps). */
  duplicates: number;
  /** Events held for playback alignment right now. */
  held: number;
  /** Held events dropped because the playback queue was full. */
  heldDropped: number;
}

/** A chat message the server accepted. */
export interface ChatSent {
  /** The message's id: the same as on its `chat` event, and what moderators act on. */
  id: string;
  /** Server time, ms since the epoch. */
  ts: number;
  /**
   * True when the message waits before anyone sees it: for a moderator's approval (automod, a
   * held term) or for the stream's hold delay. Its `chat` event comes if and when it is published.
   */
  held: boolean;
}

/**
 * Roar's client: one connection to a gateway, kept alive across network loss and server restarts,
 * with the streams the app joined rejoined and resumed after every reconnect.
 *
 * Guarantees:
 * - Every request settles exactly once: with its reply, the server's error, `timeout`,
 *   `disconnected` when the connection drops first, or `closed` after `close()`.
 * - Each chat message is delivered at most once per stream (by id, over the last 1,000), in the
 *   order received; after a reconnect the missed messages arrive in order, or `gap` says some
 *   were lost.
 * - Reconnects use exponential backoff with full jitter, never a fixed delay, and stop for close
 *   codes that mean "do not reconnect" (a bad token, a ban), after which the state is `closed`.
 * - Nothing is emitted after the state becomes `closed`.
 */
export class RoarClient {
  /** The wire formats this entry speaks: JSON here; `@roar/client` adds msgpack (the default). */
  protected static readonly codecTable: CodecTable = JSON_ONLY;
  static {
    hostOf = (client) => (client.#host ??= client.#makeHost());
  }
  readonly #o: ResolvedOptions;
  readonly #events = new Emitter<RoarClientEvents>();
  readonly #connection: Connection;
  readonly #requests: PendingRequests;
  readonly #joins: Joins;
  readonly #offset = new ClockOffset();
  readonly #delivery: Delivery;
  #welcome: WelcomeMessage | undefined;
  #connecting: Deferred<WelcomeMessage> | undefined;
  #pingTimer: Timer | undefined;
  #host: FeatureHost | undefined;

  /** Checks the options (throws `RoarClientError` `invalid_argument`); does not connect. */
  constructor(options: RoarClientOptions) {
    this.#o = resolveOptions(options, new.target.codecTable);
    this.#connection = new Connection(this.#o, {
      status: (change) => this.#events.emit('status', change),
      welcome: (welcome) => this.#onWelcome(welcome),
      message: (message) => this.#onMessage(message),
      dropped: (code) => this.#onDropped(code),
      failed: (error) => this.#onFailed(error),
      error: (error) => this.#events.emit('error', error),
    });
    this.#requests = new PendingRequests(this.#o.clock, this.#o.requestTimeoutMs, MAX_IN_FLIGHT);
    this.#delivery = new Delivery(
      this.#o,
      this.#events,
      () => this.#offset.offsetMs,
      (stream) => this.#joins.has(stream),
    );
    this.#joins = new Joins(
      this.#requests,
      this.#delivery,
      (ref, message) => this.#transmit(ref, message),
      DEDUPE_WINDOW,
      {
        clock: this.#o.clock,
        random: this.#o.random,
        connected: () => this.#welcome !== undefined,
      },
    );
  }

  /** `idle` until `connect()` is first called. */
  get state(): ConnectionState | 'idle' {
    return this.#connection.state;
  }

  /** The current connection's welcome, while the state is `open`. */
  get welcome(): WelcomeMessage | undefined {
    return this.#welcome;
  }

  /**
   * What carries the open connection: `websocket`, `sse` (the event-stream fallback) or
   * `custom`; undefined while not open.
   */
  get transport(): string | undefined {
    return this.#connection.transportKind;
  }

  /** The anonymous id this client presents when it has no token. */
  get anonId(): string {
    return this.#o.anonId;
  }

  get stats(): ClientStats {
    return {
      reconnects: this.#connection.reconnects,
      duplicates: this.#delivery.duplicates,
      held: this.#delivery.held,
      heldDropped: this.#delivery.heldDropped,
    };
  }

  /** The server's clock, as estimated from pings (the local clock until the first pong). */
  serverNow(): number {
    return this.#o.clock.now() + this.#offset.offsetMs;
  }

  /** Adds a listener; returns the function that removes it. See `RoarClientEvents`. */
  on<K extends keyof RoarClientEvents>(
    type: K,
    listener: Listener<RoarClientEvents[K]>,
  ): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Connects, retrying with backoff until the server welcomes the client. Resolves with the
   * welcome (at once when already open); rejects when the server refuses the client for good (a
   * bad token) or `close()` is called. Calling it again after `closed` starts over, keeping the
   * joined streams.
   */
  connect(): Promise<WelcomeMessage> {
    if (this.#welcome) return Promise.resolve(this.#welcome);
    this.#connecting ??= deferred();
    this.#connection.start();
    return this.#connecting.promise;
  }

  /**
   * Joins `stream` and resolves with the server's `joined` reply, whose `history` holds only
   * messages not delivered before (each is also emitted as a `chat` event). The stream stays
   * joined, and is rejoined and resumed after every reconnect, until `leave()` or until the
   * server refuses it. Called before the connection is open, it waits for the welcome; called
   * for a stream already joined, it resolves with that stream's current `joined` reply.
   * Rejects with the server's refusal (the stream is then forgotten), `disconnected` when the
   * connection drops before the reply (the stream is still rejoined), `timeout`, `cancelled`
   * (by `leave()`) or `closed`. `since` resumes from a message id seen elsewhere (a replay):
   * only later messages come, or a `gap` when the server no longer has them all.
   */
  join(stream: string, options: { since?: string } = {}): Promise<JoinedMessage> {
    if (!isStreamId(stream)) return invalidArgument(`not a stream id: ${String(stream)}`);
    return this.#joins.join(stream, this.#welcome !== undefined, options.since);
  }

  /**
   * Leaves `stream`: no more events for it, and it is not rejoined after a reconnect. Resolves
   * once the server confirms, or at once without a connection (the server forgets a closed
   * connection's streams). Rejects only for a bad stream id or a `timeout`.
   */
  async leave(stream: string): Promise<void> {
    if (!isStreamId(stream)) return invalidArgument(`not a stream id: ${String(stream)}`);
    if (!this.#joins.forget(stream) || !this.#welcome) return;
    // Sent even when no join was confirmed: one that timed out may still have reached the server.
    try {
      await this.#request('leave', (ref) => ({ type: 'leave', ref, stream }));
    } catch (error) {
      // Not joined, or the connection went: either way the server holds nothing for this stream.
      if (!(error instanceof RoarClientError)) throw error;
      if (error.code === ClientErrorCode.Timeout) throw error;
    }
  }

  /**
   * Sends a chat message and resolves with its id, server time and whether it is held, once the
   * server accepted it. The message also arrives as a `chat` event like everyone else's (when a
   * held one is published). Text is checked first (`invalid_argument` without sending); the
   * server may still refuse it, e.g. `rate_limited` with `retryAfterMs`, `not_joined`, or a
   * stream rule (slow mode, emote-only...).
   */
  async sendChat(stream: string, text: string): Promise<ChatSent> {
    checkStream(stream);
    const clean = checkChatText(text);
    const ack = await this.#request('chat', (ref) => ({ type: 'chat', ref, stream, text: clean }));
    if (typeof ack.id !== 'string' || typeof ack.ts !== 'number') {
      throw new RoarClientError(ErrorCode.BadFrame, 'chat ack without id and ts', { stream });
    }
    return { id: ack.id, ts: ack.ts, held: ack.held === true };
  }

  /**
   * Sends one reaction; resolves once the server counted it. Reactions come back aggregated, as
   * `reactions` events, never one per tap.
   */
  async react(stream: string, emoji: string): Promise<void> {
    checkStream(stream);
    checkEmoji(emoji);
    await this.#request('react', (ref) => ({ type: 'react', ref, stream, emoji }));
  }

  /**
   * Runs a moderator command on `stream` (delete, clear, timeout, ban, unban, pin, unpin,
   * announce, settings, approve, deny) and resolves once the server has applied it everywhere it
   * applies. Needs a token with the moderator or broadcaster role of the stream, or admin:
   * otherwise `forbidden` (`unauthenticated` when anonymous). The action is checked first with
   * the protocol's own rules (`invalid_argument` without sending).
   */
  async moderate(stream: string, action: ModAction): Promise<void> {
    const checked = checkModRequest(stream, action);
    await this.#request('mod', (ref) => ({ ...checked, ref }));
  }

  /** Measures a round trip to the server, in ms; also refines the server clock estimate. */
  async ping(): Promise<number> {
    const sentAt = this.#o.clock.now();
    const pong = await this.#request('ping', (ref) => ({ type: 'ping', ref }));
    const receivedAt = this.#o.clock.now();
    this.#offset.add(sentAt, receivedAt, pong.ts);
    return receivedAt - sentAt;
  }

  /**
   * Closes the connection for good: stops reconnecting, rejects everything pending with
   * `closed`, forgets joined streams and held events. Safe to call more than once.
   */
  close(): void {
    this.#pingTimer?.cancel();
    this.#delivery.clear();
    this.#welcome = undefined;
    const closed = new RoarClientError(ClientErrorCode.Closed, 'the client was closed');
    this.#requests.rejectAll(closed);
    this.#joins.settleAll(closed, true);
    this.#connecting?.reject(closed);
    this.#connecting = undefined;
    this.#connection.close();
  }

  #makeHost(): FeatureHost {
    const delivery = this.#delivery;
    return {
      url: this.#o.url,
      clock: this.#o.clock,
      token: () => resolveToken(this.#o.token),
      request: (kind, build) => this.#request(kind, build),
      handle: (type, handler) => delivery.handle(type, handler),
      deliver: (stream, ts, release) => delivery.deliverFeature(stream, ts, release),
    };
  }

  // ---- The connection's side ----

  #onWelcome(welcome: WelcomeMessage): void {
    this.#welcome = welcome;
    this.#events.emit('welcome', welcome);
    this.#connecting?.resolve(welcome);
    this.#connecting = undefined;
    this.#joins.rejoinAll();
    if (this.#delivery.aligning) this.#clockPing();
  }

  #onDropped(code: number): void {
    this.#welcome = undefined;
    this.#pingTimer?.cancel();
    this.#joins.dropped();
    this.#requests.rejectAll(
      new RoarClientError(ClientErrorCode.Disconnected, 'the connection dropped', {
        closeCode: code,
      }),
    );
  }

  /** Refused for good: joined streams are kept for a later `connect()`, held events are not. */
  #onFailed(error: RoarClientError): void {
    this.#delivery.clear();
    this.#joins.settleAll(error, false);
    this.#connecting?.reject(error);
    this.#connecting = undefined;
    this.#events.emit('error', error);
  }

  // ---- Frames from the server ----

  #onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'joined':
        return this.#joins.joined(message);
      case 'left':
      case 'ack':
      case 'pong':
        this.#requests.settle(message);
        return;
      case 'error':
        return this.#onError(message);
      case 'batch': {
        const state = this.#joins.get(message.stream);
        if (state) this.#delivery.batch(state, message);
        return;
      }
      case 'status':
        if (typeof message.level !== 'number') return;
        this.#events.emit('degradation', {
          level: message.level,
          text: typeof message.text === 'string' ? message.text : '',
        });
        return;
      case 'welcome':
      case 'reconnect':
        // A repeated welcome means nothing new; `reconnect` is the connection's to act on.
        return;
      default:
        // A newer server's message type: servers may add them freely.
        return;
    }
  }

  #onError(message: ErrorMessage): void {
    // A reply to a request; one to a request that already timed out is dropped with it.
    if (message.ref !== undefined) {
      this.#requests.settle(message);
      return;
    }
    this.#events.emit(
      'error',
      new RoarClientError(message.code, message.message, {
        retryAfterMs: message.retryAfterMs,
        stream: message.stream,
      }),
    );
  }

  /** Pings now and every 30 s while open, to keep the server clock estimate fresh. */
  #clockPing(): void {
    this.ping().catch((error: unknown) => {
      // A ping lost to a drop or a timeout is retried by the next one; nothing else depends on it.
      if (!(error instanceof RoarClientError)) throw error;
    });
    this.#pingTimer = this.#o.clock.setTimer(() => this.#clockPing(), CLOCK_PING_INTERVAL_MS);
  }

  // ---- Requests ----

  /** Sends a request frame; a send that fails settles the request as `disconnected`. */
  #transmit(ref: number, message: ClientMessage): void {
    if (this.#connection.send(message)) return;
    this.#requests.reject(
      ref,
      new RoarClientError(ClientErrorCode.Disconnected, 'the connection is not open'),
    );
  }

  #request<K extends RequestKind>(
    kind: K,
    build: (ref: number) => ClientMessage,
  ): Promise<Replies[K]> {
    if (!this.#welcome) {
      const closed = this.#connection.state === 'closed';
      return Promise.reject(
        new RoarClientError(
          closed ? ClientErrorCode.Closed : ClientErrorCode.Disconnected,
          `cannot ${kind}: the client is not connected`,
        ),
      );
    }
    let started: { ref: number; reply: Promise<Replies[K]> };
    try {
      started = this.#requests.start(kind);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#transmit(started.ref, build(started.ref));
    return started.reply;
  }
}
