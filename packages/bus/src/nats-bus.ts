import {
  connect,
  errors,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Status,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import {
  BusClosedError,
  logHandlerError,
  type Bus,
  type BusHandler,
  type BusHeaders,
  type BusStatus,
  type BusStatusListener,
  type Subscription,
} from './bus.js';
import { emitStatus, reportHandlerError } from './bus-errors.js';

export interface NatsBusOptions {
  /** One or more `nats://host:port` URLs of the same cluster. */
  servers: string | string[];
  /** Connection name shown by the server's monitoring (e.g. the gateway id). */
  name?: string;
  /** Pause between reconnect attempts. Default 250 ms. */
  reconnectWaitMs?: number;
  /**
   * Upper bound of a random delay added to each pause, so a fleet does not reconnect in step.
   * Default 250 ms.
   */
  reconnectJitterMs?: number;
  /**
   * How often the client pings the server. A server that vanished without closing the socket is
   * given up on when a third ping finds two unanswered: 10–15 s after it died with the default of
   * 5000 ms.
   */
  pingIntervalMs?: number;
  /** Keep retrying while NATS is not up yet, instead of failing the first connect. Default true. */
  waitOnFirstConnect?: boolean;
}

const defaults = {
  reconnectWaitMs: 250,
  reconnectJitterMs: 250,
  pingIntervalMs: 5000,
  waitOnFirstConnect: true,
} as const;

/**
 * Connects to NATS and resolves with a `Bus` once the first connection is up. With
 * `waitOnFirstConnect` (the default) it keeps retrying for as long as NATS is unreachable and never
 * rejects for that reason; without it, it rejects when no server in `servers` answers. After the
 * first connection the bus never gives up reconnecting.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<NatsBus> {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
  if (servers.length === 0 || servers.some((s) => s.trim() === '')) {
    throw new Error('NatsBusOptions.servers must list at least one server URL');
  }
  const reconnectWaitMs = checkMs(
    'reconnectWaitMs',
    options.reconnectWaitMs,
    defaults.reconnectWaitMs,
  );
  const reconnectJitterMs = checkMs(
    'reconnectJitterMs',
    options.reconnectJitterMs,
    defaults.reconnectJitterMs,
  );
  const pingIntervalMs = checkMs('pingIntervalMs', options.pingIntervalMs, defaults.pingIntervalMs);
  if (pingIntervalMs === 0) throw new Error('NatsBusOptions.pingIntervalMs must be positive');
  const nc = await connect({
    servers,
    name: options.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectWaitMs,
    reconnectJitter: reconnectJitterMs,
    pingInterval: pingIntervalMs,
    waitOnFirstConnect: options.waitOnFirstConnect ?? defaults.waitOnFirstConnect,
  });
  return new NatsBus(nc);
}

function checkMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(
      `NatsBusOptions.${name} must be a non-negative number of milliseconds, got ${value}`,
    );
  }
  return value;
}

class NatsHeaders implements BusHeaders {
  readonly #h: MsgHdrs;

  constructor(h: MsgHdrs) {
    this.#h = h;
  }

  get(name: string): string | undefined {
    // nats.js answers "" for a missing header.
    return this.#h.has(name) ? this.#h.get(name) : undefined;
  }

  entries(): [string, string][] {
    return this.#h.keys().map((name) => [name, this.#h.get(name)]);
  }
}

/**
 * The `Bus` over one NATS connection (nats.js v3). Beyond the `Bus` guarantees:
 * - payloads are handed to handlers as nats.js received them: views into the socket's read buffer,
 *   not copies (do not assume the view covers its whole `ArrayBuffer`);
 * - publishes while disconnected are dropped here rather than queued (see `publish`);
 * - `flush()` rejects if the connection drops before the server confirms it.
 *
 * Create it with `connectNatsBus`.
 */
export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #listeners = new Set<BusStatusListener>();
  readonly #watching: Promise<void>;
  #connected = true;
  #closing: Promise<void> | undefined;
  #closedEmitted = false;
  /** Why the next disconnect happens, when nats.js says so beforehand. */
  #cause: string | undefined;
  onError: (error: unknown, subject: string) => void = logHandlerError;

  /** @internal Use `connectNatsBus`: the guarantees rely on the connection options it sets. */
  constructor(nc: NatsConnection) {
    this.#nc = nc;
    // Only microtasks run between connect resolving and here, so no socket event, and no status,
    // can be missed.
    this.#watching = this.#watch(nc.status()).catch((error: unknown) => {
      console.error('NATS status watcher failed; bus status is no longer tracked', error);
    });
  }

  get connected(): boolean {
    return this.#connected && this.#closing === undefined;
  }

  /**
   * Sends `payload` to `subject`. The bytes are not copied until nats.js writes them out, at the
   * end of the current microtask turn, so do not mutate `payload` after publishing it.
   *
   * While disconnected the message is dropped, as the `Bus` contract allows. nats.js has no
   * bounded reconnect buffer: it keeps publishes in an unbounded pending buffer that it empties
   * at every reconnect attempt, so they would only cost memory and arrive (or not) by luck of
   * timing. Dropping here keeps memory flat during an outage and delivery at most once.
   */
  publish(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    if (this.#closing) throw new BusClosedError();
    if (!this.#connected) return;
    if (headers === undefined) return this.#nc.publish(subject, payload);
    const h = natsHeaders();
    for (const name in headers) h.set(name, headers[name] as string);
    this.#nc.publish(subject, payload, { headers: h });
  }

  subscribe(subject: string, handler: BusHandler): Subscription {
    if (this.#closing) throw new BusClosedError();
    let active = true;
    // A callback rather than an async iterator: nats.js calls it straight from its parser, with no
    // per-subscription queue or promise chain, which keeps thousands of subscriptions cheap.
    const sub: NatsSubscription = this.#nc.subscribe(subject, {
      callback: (error: Error | null, msg: Msg) => {
        if (!active) return;
        if (error) {
          // nats.js only reports errors here when the server refused the subscription; it is gone.
          this.#report(error, subject);
          return;
        }
        try {
          // Only messages that carry headers pay for reading them.
          const h = msg.headers;
          if (h === undefined) handler(msg.data, msg.subject);
          else handler(msg.data, msg.subject, new NatsHeaders(h));
        } catch (handlerError) {
          this.#report(handlerError, msg.subject);
        }
      },
    });
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        if (!this.#nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  async flush(): Promise<void> {
    if (this.#closing) throw new BusClosedError();
    try {
      await this.#nc.flush();
    } catch (error) {
      throw new Error('NATS connection lost before the flush was confirmed', { cause: error });
    }
  }

  onStatus(listener: BusStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stops publishing at once, delivers messages already in flight to their handlers, then closes
   * the connection and emits `closed` (once, however often `close()` is called). When the
   * connection is down there is nothing to drain, so it just closes.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (!this.#nc.isClosed()) {
      if (this.#connected) {
        try {
          await this.#nc.drain();
        } catch (error) {
          // The drain's flush fails when the connection drops midway; closing is all that is left.
          if (!this.#nc.isClosed()) await this.#nc.close();
          if (!(error instanceof errors.RequestError)) console.error('NATS drain failed', error);
        }
      } else {
        await this.#nc.close();
      }
    }
    // nats.js ends the status iterator on close without waiting for it to be read; wait here so
    // every status it reported is emitted before `closed`.
    await this.#watching;
    this.#emitClosed();
  }

  async #watch(statuses: AsyncIterable<Status>): Promise<void> {
    for await (const status of statuses) {
      switch (status.type) {
        case 'disconnect': {
          const reason = this.#cause
            ? `${this.#cause} (${status.server})`
            : `connection to ${status.server} lost`;
          this.#cause = undefined;
          // nats.js can report one outage more than once; listeners see each transition once.
          if (!this.#connected) break;
          this.#connected = false;
          this.#emit({ type: 'disconnected', reason });
          break;
        }
        case 'reconnect':
          this.#cause = undefined;
          if (this.#connected) break;
          this.#connected = true;
          this.#emit({ type: 'reconnected' });
          break;
        case 'close':
          this.#emitClosed();
          break;
        case 'staleConnection':
          this.#cause = 'the server stopped answering pings';
          break;
        case 'ldm':
          this.#cause = 'the server is shutting down (lame duck mode)';
          break;
        case 'forceReconnect':
          this.#cause = 'reconnect forced by the client';
          break;
        case 'error':
          // Permission errors reach the subscription's callback and do not end the connection.
          if (!(status.error instanceof errors.PermissionViolationError)) {
            this.#cause = `server error: ${status.error.message}`;
          }
          break;
        case 'reconnecting':
        case 'update':
        case 'ping':
        case 'slowConsumer':
          break;
        default: {
          // A status type added by a nats.js upgrade must be looked at, not silently ignored.
          const _exhaustive: never = status;
        }
      }
    }
  }

  #emitClosed(): void {
    this.#connected = false;
    // nats.js closes by itself only when it gives up (e.g. repeated auth failures); the bus is
    // then as closed as after `close()`.
    this.#closing ??= Promise.resolve();
    if (this.#closedEmitted) return;
    this.#closedEmitted = true;
    this.#emit({ type: 'closed' });
  }

  #emit(status: BusStatus): void {
    emitStatus(this.#listeners, status);
  }

  #report(error: unknown, subject: string): void {
    reportHandlerError(this, error, subject);
  }
}
