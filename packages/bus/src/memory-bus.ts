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
import { SubjectTrie } from './subject-trie.js';

/** Subjects whose matches are kept at most (see `MemoryBroker`). */
const MATCHES_KEPT = 10_000;
/** A settled promise: `then` on it is the cheapest microtask (queueMicrotask makes an async resource). */
const RESOLVED = Promise.resolve();

interface MemorySubscription {
  bus: MemoryBus;
  handler: BusHandler;
  active: boolean;
}

/** A message on its way: who matched when it was published. */
interface Delivery {
  matches: MemorySubscription[];
  subject: string;
  payload: Uint8Array;
  headers: BusHeaders | undefined;
}

/**
 * An in-process broker: the bus of the embedded single-process mode, and of fast multi-gateway
 * tests. Each `connect()` is one client, like one NATS connection. Fault injection:
 * `disconnect(bus)` drops a client's traffic until `reconnect(bus)`; `failPublish` drops chosen
 * messages, as a broker under trouble would.
 */
export class MemoryBroker {
  readonly #subs = new SubjectTrie<MemorySubscription>();
  /** Return true to drop a message on its way (fault injection). */
  failPublish: ((subject: string, payload: Uint8Array) => boolean) | undefined;
  /** Messages published this turn, delivered in order by one microtask. */
  #queue: Delivery[] = [];
  /**
   * What each subject matched, until the subscriptions change: a stream's subjects come back
   * message after message, and the trie walk cost more than the rest of a publish.
   */
  readonly #matches = new Map<string, MemorySubscription[]>();

  connect(): MemoryBus {
    return new MemoryBus(this);
  }

  disconnect(bus: MemoryBus): void {
    bus.setConnected(false, 'disconnected by the test broker');
  }

  reconnect(bus: MemoryBus): void {
    bus.setConnected(true, '');
  }

  /** @internal */
  addSubscription(pattern: string, sub: MemorySubscription): void {
    this.#subs.add(pattern, sub);
    this.#matches.clear();
  }

  /** @internal */
  removeSubscription(pattern: string, sub: MemorySubscription): void {
    this.#subs.remove(pattern, sub);
    this.#matches.clear();
  }

  /** @internal */
  route(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    if (this.failPublish?.(subject, payload)) return;
    let matches = this.#matches.get(subject);
    if (matches === undefined) {
      matches = this.#subs.match(subject);
      // Bounded: subjects with a unique part (inboxes, one-off replies) must not pile up.
      if (this.#matches.size >= MATCHES_KEPT) this.#matches.clear();
      this.#matches.set(subject, matches);
    }
    if (matches.length === 0) return;
    // A copy, as a network broker would deliver: the publisher may reuse its object.
    const received: BusHeaders | undefined = headers && new MemoryHeaders(headers);
    // Asynchronous like a network broker, so nothing may rely on delivery inside publish(); one
    // microtask delivers everything published in the same turn, in order.
    if (this.#queue.push({ matches, subject, payload, headers: received }) === 1)
      void RESOLVED.then(() => this.#deliver());
  }

  #deliver(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const { matches, subject, payload, headers } of queue) {
      for (const sub of matches) {
        if (!sub.active || !sub.bus.connected) continue;
        try {
          sub.handler(payload, subject, headers);
        } catch (error) {
          sub.bus.onError(error, subject);
        }
      }
    }
  }
}

class MemoryHeaders implements BusHeaders {
  readonly #values: Map<string, string>;

  constructor(headers: Readonly<Record<string, string>>) {
    this.#values = new Map(Object.entries(headers));
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  entries(): [string, string][] {
    return [...this.#values];
  }
}

export class MemoryBus implements Bus {
  readonly #broker: MemoryBroker;
  readonly #listeners = new Set<BusStatusListener>();
  readonly #subs = new Map<MemorySubscription, string>();
  #connected = true;
  #closed = false;
  onError: (error: unknown, subject: string) => void = logHandlerError;

  constructor(broker: MemoryBroker = new MemoryBroker()) {
    this.#broker = broker;
  }

  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  publish(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    if (this.#closed) throw new BusClosedError();
    if (!this.#connected) return; // lost, as on a real broker connection that is down
    this.#broker.route(subject, payload, headers);
  }

  subscribe(subject: string, handler: BusHandler): Subscription {
    if (this.#closed) throw new BusClosedError();
    const sub: MemorySubscription = { bus: this, handler, active: true };
    this.#subs.set(sub, subject);
    this.#broker.addSubscription(subject, sub);
    return {
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.#subs.delete(sub);
        this.#broker.removeSubscription(subject, sub);
      },
    };
  }

  async flush(): Promise<void> {
    if (this.#closed) throw new BusClosedError();
    // Deliveries are queued as microtasks; let them run before reporting the bus flushed.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  onStatus(listener: BusStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    for (const [sub, subject] of this.#subs) {
      sub.active = false;
      this.#broker.removeSubscription(subject, sub);
    }
    this.#subs.clear();
    this.#emit({ type: 'closed' });
  }

  /** @internal used by MemoryBroker's fault injection */
  setConnected(connected: boolean, reason: string): void {
    if (this.#closed || connected === this.#connected) return;
    this.#connected = connected;
    this.#emit(connected ? { type: 'reconnected' } : { type: 'disconnected', reason });
  }

  #emit(status: BusStatus): void {
    for (const l of this.#listeners) l(status);
  }
}
