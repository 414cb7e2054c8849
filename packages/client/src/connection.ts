import {
  CloseCode,
  ErrorCode,
  shouldReconnect,
  type ClientMessage,
  type ClientCodec,
  type ErrorMessage,
  type Incoming,
  type ServerMessage,
  type WelcomeMessage,
} from '@roar/protocol/core';
import { askAdmission } from './admission.js';
import { Backoff } from './backoff.js';
import type { Timer } from './clock.js';
import { ClientErrorCode, RoarClientError } from './errors.js';
import type { ConnectionState, StatusChange } from './events.js';
import { MAX_RECONNECT_HINT_MS, type ResolvedOptions } from './options.js';
import type { Transport } from './transport.js';

/** A connection that ended without a close frame, or that the client gave up on. */
const ABNORMAL_CLOSE = 1006;

/** What the connection tells the client, in the order things happen. */
export interface ConnectionHandlers {
  status(change: StatusChange): void;
  /** The server accepted the client: the connection is usable. */
  welcome(welcome: WelcomeMessage): void;
  /** Every other server message, once welcomed. */
  message(message: ServerMessage): void;
  /** The connection ended; followed by a `reconnecting` or a `closed` status. */
  dropped(code: number): void;
  /** The server refused the client for good; followed by the `closed` status. */
  failed(error: RoarClientError): void;
  /** Something went wrong that the connection recovers from by itself. */
  error(error: RoarClientError): void;
}

/**
 * Keeps one session with the server: dials with a fresh token, waits for the welcome, and after a
 * drop dials again after a backoff delay (plus any delay the server asked for), or gives up when
 * the close code says not to come back. At most one transport is live at a time, and nothing from
 * an abandoned transport reaches the handlers.
 */
export class Connection {
  readonly #o: ResolvedOptions;
  readonly #on: ConnectionHandlers;
  readonly #backoff: Backoff;
  #state: ConnectionState | 'idle' = 'idle';
  /** Increases whenever a dial in progress must be abandoned. */
  #dialId = 0;
  #transport: Transport | undefined;
  /** The codec of the current transport: the client's, or the one the transport is limited to. */
  #codec: ClientCodec;
  #handshakeTimer: Timer | undefined;
  #reconnectTimer: Timer | undefined;
  #openedAt = 0;
  #reconnectHintMs: number | undefined;
  /** An error frame that arrived before the welcome: why the server is about to close. */
  #refusal: ErrorMessage | undefined;
  #tokenRetried = false;
  #reconnects = 0;
  /** The admission ticket held while waiting for a place (see admission.ts). */
  #ticket: string | undefined;

  constructor(options: ResolvedOptions, handlers: ConnectionHandlers) {
    this.#o = options;
    this.#on = handlers;
    this.#backoff = new Backoff(options.reconnect, options.random);
    this.#codec = options.codec;
  }

  get state(): ConnectionState | 'idle' {
    return this.#state;
  }

  /** What carries the open connection (`websocket`, `sse`...), or undefined when not open. */
  get transportKind(): string | undefined {
    return this.#state === 'open' ? (this.#transport?.kind ?? 'custom') : undefined;
  }

  /** Connections lost and retried so far. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Starts connecting when idle or closed; otherwise the connection is already on its way. */
  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'closed') return;
    this.#backoff.reset();
    this.#tokenRetried = false;
    this.#setState({ state: 'connecting' });
    void this.#dial();
  }

  /** Sends a message on the open connection; false when there is none or the send failed. */
  send(message: ClientMessage): boolean {
    if (this.#state !== 'open' || !this.#transport) return false;
    return this.#transport.send(this.#codec.encodeClient(message));
  }

  /** Closes for good and stops reconnecting; `start()` may begin again. */
  close(): void {
    const wasClosed = this.#state === 'closed';
    this.#abandon();
    const transport = this.#transport;
    this.#transport = undefined;
    transport?.close(CloseCode.Normal, 'client closed');
    if (!wasClosed) this.#setState({ state: 'closed' });
  }

  async #dial(): Promise<void> {
    const dialId = ++this.#dialId;
    let token: string | undefined;
    try {
      token = await this.#token();
    } catch (cause) {
      if (dialId !== this.#dialId) return;
      this.#on.error(
        new RoarClientError(ClientErrorCode.TokenError, 'the token function failed', { cause }),
      );
      return this.#scheduleReconnect(undefined, undefined);
    }
    if (dialId !== this.#dialId) return;
    let transport: Transport;
    try {
      transport = this.#o.transports.next();
    } catch (cause) {
      this.#o.transports.settled(false);
      this.#on.error(
        new RoarClientError(ClientErrorCode.Disconnected, 'could not create a transport', {
          cause,
        }),
      );
      return this.#scheduleReconnect(undefined, undefined);
    }
    this.#transport = transport;
    this.#codec = transport.fixedCodec ?? this.#o.codec;
    this.#refusal = undefined;
    this.#handshakeTimer = this.#o.clock.setTimer(() => {
      if (this.#transport !== transport) return;
      // No welcome in time: a half-open network or a stuck server. Treat it as a drop.
      transport.close(CloseCode.Normal, 'no welcome');
      this.#onClose(ABNORMAL_CLOSE);
    }, this.#o.requestTimeoutMs);
    transport.open(
      {
        url: this.#o.url,
        codec: this.#codec,
        token,
        anonId: token === undefined ? this.#o.anonId : undefined,
        ticket: this.#ticket,
      },
      {
        // A socket is not a session: the connection is open when the welcome arrives.
        open: () => undefined,
        message: (data) => {
          if (this.#transport === transport) this.#onFrame(data);
        },
        close: (code) => {
          if (this.#transport === transport) this.#onClose(code);
        },
      },
    );
  }

  #token(): Promise<string | undefined> {
    return resolveToken(this.#o.token);
  }

  #onFrame(data: Incoming): void {
    let message: ServerMessage;
    try {
      message = this.#codec.decodeServer(data);
    } catch (cause) {
      this.#on.error(
        new RoarClientError(ErrorCode.BadFrame, 'undecodable frame from the server', { cause }),
      );
      return;
    }
    if (message.type === 'reconnect') {
      // Sent just before a server-initiated close (a drain): the delay applies to that close.
      const { delayMs } = message;
      if (typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0) {
        this.#reconnectHintMs = Math.min(delayMs, MAX_RECONNECT_HINT_MS);
      }
      return;
    }
    if (this.#state === 'open') return this.#on.message(message);
    if (message.type === 'welcome') return this.#onWelcome(message);
    // Before the welcome the server says only why it is about to close.
    if (message.type === 'error' && message.ref === undefined) this.#refusal = message;
  }

  #onWelcome(welcome: WelcomeMessage): void {
    this.#handshakeTimer?.cancel();
    this.#o.transports.settled(true);
    this.#openedAt = this.#o.clock.now();
    this.#tokenRetried = false;
    this.#ticket = undefined;
    // Open before the handlers run, so that what they send goes out; the status comes last, so
    // that a status listener finds the client ready for requests.
    this.#state = 'open';
    this.#on.welcome(welcome);
    this.#setState({ state: 'open' });
  }

  #onClose(code: number): void {
    this.#transport = undefined;
    this.#handshakeTimer?.cancel();
    const wasOpen = this.#state === 'open';
    // A dial that never got its welcome counts against its transport (see TransportChoice).
    if (!wasOpen) this.#o.transports.settled(false);
    if (wasOpen && this.#backoff.isStable(this.#o.clock.now() - this.#openedAt)) {
      this.#backoff.reset();
    }
    const refusal = this.#refusal;
    this.#refusal = undefined;
    // A server's suggested delay applies to the close that follows it, and only to that one.
    const hintMs = this.#reconnectHintMs;
    this.#reconnectHintMs = undefined;
    this.#on.dropped(code);
    if (shouldReconnect(code) && !wasOpen && this.#o.admission) return void this.#queue(code);
    if (shouldReconnect(code)) return this.#scheduleReconnect(code, hintMs);
    // An expired token is worth one more try with whatever the token function returns now.
    if (
      code === CloseCode.TokenExpired &&
      typeof this.#o.token === 'function' &&
      !this.#tokenRetried
    ) {
      this.#tokenRetried = true;
      return this.#scheduleReconnect(code, hintMs);
    }
    this.#abandon();
    this.#on.failed(
      refusal
        ? new RoarClientError(refusal.code, refusal.message, { closeCode: code })
        : new RoarClientError(
            ClientErrorCode.ConnectionRefused,
            `the server closed the connection (${code}) and asked not to reconnect`,
            { closeCode: code },
          ),
    );
    this.#setState({ state: 'closed', closeCode: code });
  }

  /**
   * After a dial that got no welcome: asks the admission endpoint for a place and dials again at
   * its time, with the ticket. A dial with a ticket that failed too waits at least the backoff
   * delay as well, so a network that breaks only WebSocket cannot spin the client; an endpoint
   * that does not answer leaves the ordinary backoff.
   */
  async #queue(code: number): Promise<void> {
    const dialId = this.#dialId;
    const fetch = this.#o.admission;
    const place = fetch ? await askAdmission(fetch, this.#o.url, this.#ticket) : undefined;
    if (dialId !== this.#dialId) return;
    if (!place) {
      this.#ticket = undefined;
      return this.#scheduleReconnect(code, undefined);
    }
    const delayMs = Math.max(place.retryAfterMs, this.#ticket ? this.#backoff.next() : 0);
    this.#ticket = place.ticket;
    this.#reconnects++;
    this.#setState({
      state: 'reconnecting',
      attempt: this.#backoff.attempt,
      closeCode: code,
      delayMs,
      position: place.position,
    });
    this.#reconnectTimer = this.#o.clock.setTimer(() => {
      this.#reconnectTimer = undefined;
      void this.#dial();
    }, delayMs);
  }

  /** Waits the backoff delay (after at least `hintMs`, when the server suggested one), then dials. */
  #scheduleReconnect(closeCode: number | undefined, hintMs: number | undefined): void {
    const delayMs = (hintMs ?? 0) + this.#backoff.next();
    this.#reconnects++;
    this.#setState({
      state: 'reconnecting',
      attempt: this.#backoff.attempt,
      ...(closeCode !== undefined ? { closeCode } : {}),
      delayMs,
    });
    this.#reconnectTimer = this.#o.clock.setTimer(() => {
      this.#reconnectTimer = undefined;
      void this.#dial();
    }, delayMs);
  }

  /** Stops every dial and timer in progress. */
  #abandon(): void {
    this.#dialId++;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = undefined;
    this.#handshakeTimer?.cancel();
    this.#reconnectHintMs = undefined;
  }

  #setState(change: StatusChange): void {
    this.#state = change.state;
    this.#on.status(change);
  }
}

/** The `token` option's current value: called when a function, undefined when empty. */
export async function resolveToken(source: ResolvedOptions['token']): Promise<string | undefined> {
  const token: unknown = typeof source === 'function' ? await source() : source;
  if (token !== undefined && typeof token !== 'string') {
    throw new TypeError(`the token function returned ${typeof token}, not a string`);
  }
  return token === '' ? undefined : token;
}
