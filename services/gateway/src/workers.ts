import type { Logger } from '@roar/runtime';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { WorkerBusHost } from '@roar/bus';
import { MessageChannel, Worker, parentPort, type MessagePort } from 'node:worker_threads';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Messages between the supervisor (main thread) and gateway workers. */
type ToWorker = { type: 'stop' } | { type: 'metrics-json'; id: number };
type ToSupervisor =
  | { type: 'stopped' }
  | { type: 'metrics-json'; id: number; metrics: MetricsJson }
  | { type: 'metrics-text'; id: number };
type MetricsReply = { type: 'metrics-text'; id: number; text: string; contentType: string };

export interface SupervisorOptions {
  script: URL;
  workers: number;
  log: Logger;
  /** Restart a crashed worker after this long. */
  restartDelayMs?: number;
  /** The process's shared bus connection; without it each worker connects on its own. */
  busHost?: WorkerBusHost | undefined;
}

/** What a gateway worker thread is started with. */
export interface GatewayWorkerData {
  index: number;
  /** Its end of the channel to the process's `WorkerBusHost`, when the bus is shared. */
  busPort?: MessagePort;
}

/**
 * Runs N gateway workers in one process, all listening on the same port (uWS uses SO_REUSEPORT,
 * so the kernel spreads connections), each a shard with its own gateway id. With a `busHost` they
 * share the process's one bus connection (a stream's message crosses NATS once per process);
 * without, each has its own. Restarts a worker that dies (its bus interest is dropped with it),
 * and answers each worker's /metrics with all workers' metrics.
 */
export class WorkerSupervisor {
  readonly #o: SupervisorOptions;
  readonly #workers = new Map<number, Worker>();
  #stopping = false;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { want: number; got: MetricsJson[]; reply: (text: string) => void }
  >();

  constructor(options: SupervisorOptions) {
    this.#o = options;
    for (let i = 0; i < options.workers; i++) this.#spawn(i);
  }

  get size(): number {
    return this.#workers.size;
  }

  #spawn(index: number): void {
    // The same small young generation as the main thread's --max-semi-space-size=4: idle
    // connections cost less memory (see docs/operations.md).
    const channel = this.#o.busHost ? new MessageChannel() : undefined;
    const detachBus = channel && this.#o.busHost?.attach(channel.port1);
    const workerData: GatewayWorkerData = channel ? { index, busPort: channel.port2 } : { index };
    const worker = new Worker(this.#o.script, {
      workerData,
      transferList: channel ? [channel.port2] : [],
      resourceLimits: { maxYoungGenerationSizeMb: 12 },
    });
    this.#workers.set(index, worker);
    worker.on('message', (m: ToSupervisor) => this.#onMessage(worker, m));
    worker.on('error', (error) =>
      this.#o.log.error('gateway worker failed', { worker: index, error }),
    );
    worker.on('exit', (code) => {
      this.#workers.delete(index);
      detachBus?.();
      if (this.#stopping) return;
      this.#o.log.error('gateway worker exited; restarting it', { worker: index, code });
      setTimeout(() => {
        if (!this.#stopping) this.#spawn(index);
      }, this.#o.restartDelayMs ?? 1000).unref();
    });
  }

  #onMessage(from: Worker, m: ToSupervisor): void {
    switch (m.type) {
      case 'metrics-text': {
        // One worker was scraped: gather every worker's metrics and answer it.
        const id = this.#nextId++;
        const workers = [...this.#workers.values()];
        this.#pending.set(id, {
          want: workers.length,
          got: [],
          reply: (text) =>
            from.postMessage({
              type: 'metrics-text',
              id: m.id,
              text,
              contentType: AggregatorRegistry.PROMETHEUS_CONTENT_TYPE,
            } satisfies MetricsReply),
        });
        for (const w of workers) w.postMessage({ type: 'metrics-json', id } satisfies ToWorker);
        setTimeout(() => this.#finish(id), 2000).unref();
        return;
      }
      case 'metrics-json': {
        const entry = this.#pending.get(m.id);
        if (!entry) return;
        entry.got.push(m.metrics);
        if (entry.got.length >= entry.want) this.#finish(m.id);
        return;
      }
      case 'stopped':
        return;
    }
  }

  #finish(id: number): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    this.#pending.delete(id);
    // Workers carry distinct `gateway` labels, so aggregation keeps each worker's series apart.
    void AggregatorRegistry.aggregate(entry.got)
      .metrics()
      .then(entry.reply, (error: unknown) =>
        this.#o.log.error('metrics aggregation failed', { error }),
      );
  }

  /** Asks every worker to drain and waits for them to exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#workers.values()].map(
      (w) => new Promise<void>((resolve) => w.once('exit', () => resolve())),
    );
    for (const w of this.#workers.values()) w.postMessage({ type: 'stop' } satisfies ToWorker);
    await Promise.all(exits);
  }
}

/**
 * The worker side: runs `stop` when the supervisor says so, reports its metrics as JSON, and
 * fetches everyone's metrics for its own /metrics route.
 */
export class WorkerLink {
  readonly #port: MessagePort;
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: MetricsReply) => void>();

  constructor(stop: () => Promise<void>, ownMetrics: () => Promise<MetricsJson>) {
    if (!parentPort) throw new Error('WorkerLink runs only in a worker thread');
    this.#port = parentPort;
    this.#port.on('message', (m: ToWorker | MetricsReply) => {
      switch (m.type) {
        case 'stop':
          void stop().finally(() => {
            this.#port.postMessage({ type: 'stopped' } satisfies ToSupervisor);
            process.exit(0);
          });
          return;
        case 'metrics-json':
          void ownMetrics().then((metrics) =>
            this.#port.postMessage({
              type: 'metrics-json',
              id: m.id,
              metrics,
            } satisfies ToSupervisor),
          );
          return;
        case 'metrics-text':
          this.#waiting.get(m.id)?.(m);
          this.#waiting.delete(m.id);
          return;
      }
    });
  }

  /** Every worker's metrics, merged by the supervisor. */
  clusterMetrics(): Promise<{ text: string; contentType: string }> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error('metrics from the supervisor timed out'));
      }, 3000);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#port.postMessage({ type: 'metrics-text', id } satisfies ToSupervisor);
    });
  }
}
