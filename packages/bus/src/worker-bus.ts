import type { MessagePort } from 'node:worker_threads';
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
import {
  Slab,
  type Delivery,
  type ToHost,
  type ToWorker,
  type WorkerOp,
} from './worker-bus-wire.js';

/**
 * Connects a worker thread to its process's `WorkerBusHost` over `port` (one end of a
 * `MessageChannel` whose other end was given to `WorkerBusHost.attach`). Resolves once the host
 * has answered, with the host connection's state.
 */
export async function connectWorkerBus(port: MessagePort): Promise<WorkerBus> {
  const connected = await new Promise<boolean>((resolve) => {
    const onWelcome = (m: ToWorker): void => {
      if (m.type !== 'welcome') return;
      port.off('message', onWelcome);
      resolve(m.connected);
    };
    port.on('message', onWelcome);
    port.postMessage({ type: 'hello' } satisfies ToHost);
  });
  return new WorkerBus(port, connected);
}

interface LocalSubscription {
  handler: BusHandler;
  active: boolean;
}

class ListHeaders implements BusHeaders {
  readonly #list: [string, string][];

  constructor(list: [string, string][]) {
    this.#list = list;
  }

  get(name: string): string | undefined {
    return this.#list.find(([n]) => n === name)?.[1];
  }

  entries(): [string, string][] {
    return this.#list;
  }
}

/**
 * The `Bus` of a worker thread that shares its process's broker connection through a
 * `WorkerBusHost`. Beyond the `Bus` guarantees:
 * - the host subscribes once per subject pattern for the whole process and this worker receives
 *   each message once per pattern it holds, however many of its handlers share the pattern;
 * - payloads are views into shared memory that is never rewritten: keep them as long as needed,
 *   but do not write to them (other workers see the same bytes);
 * - the connection state (`connected`, status events) is the host connection's, so reconnects and
 *   resubscription are the host's `Bus`'s (a `NatsBus`: see its guarantees);
 * - `close()` ends only this worker's use: the host keeps the connection for the others.
 *
 * Create it with `connectWorkerBus`.
 */
export class WorkerBus implements Bus {
  readonly #port: MessagePort;
  readonly #slab = new Slab();
  readonly #patterns = new Map<string, Set<LocalSubscription>>();
  readonly #listeners = new Set<BusStatusListener>();
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #ops: WorkerOp[] = [];
  #nextId = 1;
  #connected: boolean;
  #closing: Promise<void> | undefined;
  #closedEmitted = false;
  onError: (error: unknown, subject: string) => void = logHandlerError;

  /** @internal Use `connectWorkerBus`. */
  constructor(port: MessagePort, connected: boolean) {
    this.#port = port;
    this.#connected = connected;
    port.on('message', (m: ToWorker) => this.#receive(m));
  }

  get connected(): boolean {
    return this.#connected && this.#closing === undefined;
  }

  /** Copies `payload` into shared memory at once, so the caller may reuse it. */
  publish(subject: string, payload: Uint8Array, headers?: Readonly<Record<string, string>>): void {
    if (this.#closing) throw new BusClosedError();
    // Dropped while the host is disconnected, as the host's own publish would.
    if (!this.#connected) return;
    const [buf, off] = this.#slab.put(payload);
    this.#queue({ op: 'pub', subject, buf, off, len: payload.byteLength, headers });
  }

  subscribe(pattern: string, handler: BusHandler): Subscription {
    if (this.#closing) throw new BusClosedError();
    const local: LocalSubscription = { handler, active: true };
    let set = this.#patterns.get(pattern);
    if (set === undefined) {
      set = new Set();
      this.#patterns.set(pattern, set);
      this.#queue({ op: 'sub', pattern });
    }
    set.add(local);
    const held = set;
    return {
      unsubscribe: () => {
        if (!local.active) return;
        local.active = false;
        held.delete(local);
        if (held.size > 0 || this.#patterns.get(pattern) !== held) return;
        this.#patterns.delete(pattern);
        if (!this.#closing) this.#queue({ op: 'unsub', pattern });
      },
    };
  }

  flush(): Promise<void> {
    if (this.#closing) return Promise.reject(new BusClosedError());
    return this.#request('flush');
  }

  onStatus(listener: BusStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends what was published, drops this worker's subscriptions at the host, and emits `closed`.
   * The host's connection stays up for the other workers.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const set of this.#patterns.values()) for (const l of set) l.active = false;
    this.#patterns.clear();
    try {
      await this.#request('close');
    } catch (error) {
      // The host could not confirm the drain (its connection is down): what was queued is lost,
      // as on any bus closed during an outage.
      if (!(error instanceof BusClosedError)) console.error('worker bus drain failed', error);
    }
    this.#port.close();
    this.#emitClosed();
  }

  #request(op: 'flush' | 'close'): Promise<void> {
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#queue({ op, id });
    });
  }

  #queue(op: WorkerOp): void {
    // One port message per microtask turn: a burst of publishes wakes the host once.
    if (this.#ops.length === 0) queueMicrotask(() => this.#send());
    this.#ops.push(op);
  }

  #send(): void {
    const ops = this.#ops;
    this.#ops = [];
    this.#port.postMessage({ type: 'ops', ops } satisfies ToHost);
  }

  #receive(m: ToWorker): void {
    switch (m.type) {
      case 'msgs':
        for (const d of m.msgs) this.#deliver(d);
        return;
      case 'status':
        this.#onStatus(m.status);
        return;
      case 'flushed': {
        const waiting = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.error === undefined) waiting?.resolve();
        else waiting?.reject(new Error(m.error));
        return;
      }
      case 'welcome':
        return;
    }
  }

  #deliver([pattern, subject, buf, off, len, headers]: Delivery): void {
    const set = this.#patterns.get(pattern);
    if (set === undefined) return;
    const payload = new Uint8Array(buf, off, len);
    const h = headers && new ListHeaders(headers);
    // A copy when several handlers share the pattern: one of them may subscribe another.
    for (const local of set.size === 1 ? set : [...set]) {
      if (!local.active) continue;
      try {
        local.handler(payload, subject, h);
      } catch (error) {
        this.#report(error, subject);
      }
    }
  }

  #onStatus(status: BusStatus): void {
    switch (status.type) {
      case 'disconnected':
        if (!this.#connected) return;
        this.#connected = false;
        this.#emit(status);
        return;
      case 'reconnected':
        if (this.#connected) return;
        this.#connected = true;
        this.#emit(status);
        return;
      case 'closed':
        // The host's connection is gone for good (the process is stopping).
        this.#connected = false;
        this.#closing ??= Promise.resolve();
        for (const w of this.#waiting.values()) w.reject(new BusClosedError());
        this.#waiting.clear();
        this.#port.close();
        this.#emitClosed();
        return;
    }
  }

  #emitClosed(): void {
    this.#connected = false;
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
