/**
 * Headers of a received message (trace context, e.g. `traceparent`). Messages published without
 * headers arrive with none: the handler's third argument is then undefined, and nothing is
 * allocated for it.
 */
export interface BusHeaders {
  /** The value of `name`, or undefined when the message has no such header. */
  get(name: string): string | undefined;
  /** Every header as `[name, value]` (the first value of a repeated name), to pass them on. */
  entries(): [string, string][];
}

/** Called for each message on a subscribed subject. Payloads are delivered as published. */
export type BusHandler = (payload: Uint8Array, subject: string, headers?: BusHeaders) => void;

export interface Subscription {
  /** Stops delivery to this subscription. Idempotent. */
  unsubscribe(): void;
}

/** Connection state changes, in order. */
export type BusStatus =
  { type: 'disconnected'; reason: string } | { type: 'reconnected' } | { type: 'closed' };

export type BusStatusListener = (status: BusStatus) => void;

/**
 * Fire-and-forget publish/subscribe between gateways and aggregators.
 *
 * Guarantees, for every implementation (checked by `describeBusContract`):
 * - at most once: a message reaches each matching subscription once, or not at all (while
 *   disconnected, messages are lost; nothing is replayed);
 * - per publisher and subject, messages arrive in publish order;
 * - a subscription is active for messages published after `flush()` resolves, on any connection;
 * - subjects are dot-separated tokens; `*` matches one token and `>` one or more trailing tokens;
 * - handlers run asynchronously, never inside `publish`; a throwing handler does not stop delivery
 *   to others (the error goes to `onError`);
 * - subscriptions survive a reconnect: the implementation resubscribes by itself;
 * - headers given to `publish` reach every handler unchanged; without them a handler gets none.
 */
export interface Bus {
  /**
   * Queues `payload` for `subject`, with `headers` (ASCII names and values) when given. Throws
   * `BusClosedError` after `close()`.
   */
  publish(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void;
  subscribe(subject: string, handler: BusHandler): Subscription;
  /** Resolves when everything published and subscribed so far has reached the broker. */
  flush(): Promise<void>;
  /** True while the connection to the broker is up. */
  readonly connected: boolean;
  /** Listens for connection state changes; returns a function that stops listening. */
  onStatus(listener: BusStatusListener): () => void;
  /** Receives errors thrown by handlers. The default logs them. */
  onError: (error: unknown, subject: string) => void;
  /** Drains pending publishes and closes the connection. */
  close(): Promise<void>;
}

export class BusClosedError extends Error {
  constructor() {
    super('the bus is closed');
    this.name = 'BusClosedError';
  }
}

/** The default `onError`: a handler bug must be visible without taking the bus down. */
export function logHandlerError(error: unknown, subject: string): void {
  console.error(`bus handler for ${subject} failed`, error);
}
