import type { MessagePort } from 'node:worker_threads';
import type { Bus, BusHeaders, BusStatus, Subscription } from './bus.js';
import {
  Slab,
  type Delivery,
  type ToHost,
  type ToWorker,
  type WorkerOp,
} from './worker-bus-wire.js';

/** One attached worker: the patterns it holds and what waits to be posted to it. */
interface Link {
  port: MessagePort;
  patterns: Set<string>;
  out: Delivery[];
  open: boolean;
}

interface Interest {
  sub: Subscription;
  links: Set<Link>;
}

/** What the host has done since it started, for metrics and the benchmark. */
export interface WorkerBusHostStats {
  /** Messages received from the broker. */
  received: number;
  /** Handed to workers: one per (message, worker holding a matching pattern). */
  delivered: number;
  /** Port messages posted to workers (deliveries travel in batches). */
  posts: number;
  /** Publishes made on behalf of workers. */
  published: number;
}

/**
 * Shares one `Bus` (the process's NATS connection) among worker threads, each holding a
 * `WorkerBus` on a `MessagePort`.
 *
 * Guarantees:
 * - one broker subscription per pattern for the whole process, made when the first worker asks
 *   and dropped when the last one lets go (or exits);
 * - a message is copied once, into shared memory, and handed to every worker holding the pattern
 *   it matched, in the order the broker delivered it; deliveries of one microtask turn reach a
 *   worker as one port message;
 * - publishes, subscriptions and flushes of one worker reach the bus in the order it made them;
 * - the bus's status events reach every worker, after the deliveries that preceded them.
 */
export class WorkerBusHost {
  readonly #bus: Bus;
  readonly #slab = new Slab();
  readonly #interests = new Map<string, Interest>();
  readonly #links = new Set<Link>();
  readonly #dirty = new Set<Link>();
  readonly #stats: WorkerBusHostStats = { received: 0, delivered: 0, posts: 0, published: 0 };
  readonly #stopStatus: () => void;

  constructor(bus: Bus) {
    this.#bus = bus;
    this.#stopStatus = bus.onStatus((status) => this.#broadcast(status));
  }

  get stats(): Readonly<WorkerBusHostStats> {
    return this.#stats;
  }

  /** Patterns subscribed at the broker right now. */
  get patterns(): number {
    return this.#interests.size;
  }

  /**
   * Serves the worker at the other end of `port`. The returned function (also run when the port
   * closes) drops the worker's subscriptions: call it when the worker exits.
   */
  attach(port: MessagePort): () => void {
    const link: Link = { port, patterns: new Set(), out: [], open: true };
    this.#links.add(link);
    port.on('message', (m: ToHost) => this.#receive(link, m));
    const detach = (): void => this.#detach(link);
    port.once('close', detach);
    return detach;
  }

  /** Closes the shared connection (after the workers are gone); they see `closed`. */
  async close(): Promise<void> {
    await this.#bus.close();
    this.#stopStatus();
    for (const link of [...this.#links]) this.#detach(link);
  }

  #receive(link: Link, m: ToHost): void {
    if (!link.open) return;
    if (m.type === 'hello') {
      this.#post(link, { type: 'welcome', connected: this.#bus.connected });
      return;
    }
    for (const op of m.ops) this.#apply(link, op);
  }

  #apply(link: Link, op: WorkerOp): void {
    switch (op.op) {
      case 'pub':
        try {
          this.#bus.publish(op.subject, new Uint8Array(op.buf, op.off, op.len), op.headers);
          this.#stats.published++;
        } catch {
          // BusClosedError: the process is stopping and the worker will hear `closed`.
        }
        return;
      case 'sub':
        this.#hold(link, op.pattern);
        return;
      case 'unsub':
        this.#release(link, op.pattern);
        return;
      case 'flush':
        void this.#bus.flush().then(
          () => this.#post(link, { type: 'flushed', id: op.id, error: undefined }),
          (error: unknown) =>
            this.#post(link, { type: 'flushed', id: op.id, error: String(error) }),
        );
        return;
      case 'close': {
        for (const pattern of [...link.patterns]) this.#release(link, pattern);
        // The worker's publishes are out once the bus flushes; down, there is nothing to drain.
        const done = (): void => this.#post(link, { type: 'flushed', id: op.id, error: undefined });
        if (this.#bus.connected) void this.#bus.flush().then(done, done);
        else done();
        return;
      }
    }
  }

  #hold(link: Link, pattern: string): void {
    if (link.patterns.has(pattern)) return;
    link.patterns.add(pattern);
    let interest = this.#interests.get(pattern);
    if (interest === undefined) {
      const links = new Set<Link>();
      const sub = this.#bus.subscribe(pattern, (payload, subject, headers) =>
        this.#fanOut(links, pattern, payload, subject, headers),
      );
      interest = { sub, links };
      this.#interests.set(pattern, interest);
    }
    interest.links.add(link);
  }

  #release(link: Link, pattern: string): void {
    if (!link.patterns.delete(pattern)) return;
    const interest = this.#interests.get(pattern);
    if (interest === undefined) return;
    interest.links.delete(link);
    if (interest.links.size > 0) return;
    interest.sub.unsubscribe();
    this.#interests.delete(pattern);
  }

  #fanOut(
    links: Set<Link>,
    pattern: string,
    payload: Uint8Array,
    subject: string,
    headers: BusHeaders | undefined,
  ): void {
    this.#stats.received++;
    if (links.size === 0) return;
    // The one copy: the broker's view is only good for this call.
    const [buf, off] = this.#slab.put(payload);
    const h = headers?.entries();
    const delivery: Delivery = [pattern, subject, buf, off, payload.byteLength, h];
    for (const link of links) {
      if (this.#dirty.size === 0) queueMicrotask(() => this.#sendAll());
      link.out.push(delivery);
      this.#dirty.add(link);
      this.#stats.delivered++;
    }
  }

  #sendAll(): void {
    for (const link of this.#dirty) this.#sendOut(link);
    this.#dirty.clear();
  }

  #sendOut(link: Link): void {
    if (link.out.length === 0) return;
    const msgs = link.out;
    link.out = [];
    if (!link.open) return;
    link.port.postMessage({ type: 'msgs', msgs } satisfies ToWorker);
    this.#stats.posts++;
  }

  /** Everything else goes after the deliveries already waiting for that worker. */
  #post(link: Link, m: ToWorker): void {
    if (!link.open) return;
    this.#sendOut(link);
    link.port.postMessage(m);
  }

  #broadcast(status: BusStatus): void {
    for (const link of this.#links) this.#post(link, { type: 'status', status });
  }

  #detach(link: Link): void {
    if (!link.open) return;
    for (const pattern of [...link.patterns]) this.#release(link, pattern);
    link.open = false;
    link.out = [];
    this.#dirty.delete(link);
    this.#links.delete(link);
    link.port.close();
  }
}
