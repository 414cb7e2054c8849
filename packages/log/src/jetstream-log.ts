import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  connect,
  createInbox,
  headers,
  nanos,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import { AppendQueue } from './append-queue.js';
import type { LogAppend, LogEvent } from './events.js';
import { encode, ensureStream, readApis, readEvents, type ReadApis } from './jetstream-stream.js';
import {
  DEFAULT_APPEND_QUEUE,
  DEFAULT_RETENTION,
  emptyStats,
  LogUnavailableError,
  type AppendQueueOptions,
  type EventLog,
  type LogQuery,
  type LogRetention,
  type LogStats,
} from './log.js';
import { filterSubject, LogSubjects } from './subjects.js';

export interface JetStreamLogOptions {
  /** One or more `nats://host:port` URLs of a JetStream-enabled cluster. */
  servers: string | string[];
  /** Subject prefix (the same as the bus's); also names the JetStream stream. */
  prefix?: string;
  /** Connection name shown by the server's monitoring. */
  name?: string;
  retention?: Partial<LogRetention>;
  queue?: Partial<AppendQueueOptions>;
  /** Appends with the same event id within this window are stored once. Default 2 min. */
  duplicateWindowMs?: number;
  /** How often queued events are sent (one write and one acknowledgement each). Default 100 ms. */
  flushIntervalMs?: number;
  /** Appends awaiting their acknowledgement at most. Default 4096. */
  maxInFlight?: number;
  /**
   * Copies of the stream in a JetStream cluster (1–5), applied to an existing stream too (see
   * `ensureStream`). Default 1.
   */
  replicas?: number;
  /** How long `connectJetStreamLog` waits for the stream before returning a degraded log. */
  readyTimeoutMs?: number;
  /** An append not acknowledged within this long is counted as failed. Default 5000 ms. */
  ackTimeoutMs?: number;
}

const DECODER = new TextDecoder();

/**
 * The `EventLog` over a NATS JetStream stream (`<PREFIX>_LOG`, subjects `<prefix>.log.>`, limits
 * retention by age and bytes, discard old, a duplicate window for idempotent appends keyed by the
 * event id as `Nats-Msg-Id`). `seq` is the JetStream stream sequence. Appends are queued and
 * published per tick without awaiting anything on the caller's path; reads use a short-lived
 * ephemeral consumer filtered to the stream's (or type's) subject, starting at a time or sequence.
 *
 * Its own NATS connection, so the log's acknowledgements never queue behind live traffic. While
 * NATS or the JetStream stream is unavailable, `connected` is false and queued events are dropped
 * after `maxQueueAgeMs`; on reconnect the stream is created again if the server came back empty.
 */
export class JetStreamLog implements EventLog {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** The same API with the timeouts of reads' tries (`readEvents`). */
  readonly #readApis: ReadApis;
  readonly #subjects: LogSubjects;
  readonly #config: Partial<StreamConfig> & { name: string };
  readonly #queue: AppendQueue;
  readonly #stats: LogStats = emptyStats();
  readonly #maxInFlight: number;
  readonly #slackMs: number;
  readonly #timer: NodeJS.Timeout;
  /** Acknowledgements come to `<inbox>.<n>`: one subscription for every append. */
  readonly #inbox = createInbox();
  /** Batches awaiting their acknowledgement: number → when sent and how many events (oldest first). */
  readonly #pending = new Map<number, { at: number; events: number }>();
  /** Events in the batches of `#pending`. */
  #inFlight = 0;
  readonly #ackTimeoutMs: number;
  #sent = 0;
  #natsUp = true;
  #streamReady = false;
  #ensuring = false;
  #closed = false;
  /** Why the stream could not be created, for the next `read` error. */
  #lastError: unknown;

  /** @internal Use `connectJetStreamLog`. */
  constructor(
    nc: NatsConnection,
    jsm: { main: JetStreamManager; reads: ReadApis },
    options: JetStreamLogOptions,
  ) {
    this.#nc = nc;
    this.#jsm = jsm.main;
    this.#readApis = jsm.reads;
    this.#js = jetstream(nc);
    this.#subjects = new LogSubjects(options.prefix);
    const retention = { ...DEFAULT_RETENTION, ...options.retention };
    const queue = { ...DEFAULT_APPEND_QUEUE, ...options.queue };
    this.#queue = new AppendQueue(queue, this.#stats, () => performance.now());
    this.#maxInFlight = options.maxInFlight ?? 4096;
    // An event's `ts` (the appender's clock) precedes its store time by at most the queue wait
    // plus clock skew between hosts: reads by time start that much earlier.
    this.#slackMs = queue.maxQueueAgeMs + 2000;
    this.#config = {
      name: this.#subjects.streamName(),
      subjects: [this.#subjects.all()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(retention.maxAgeMs),
      max_bytes: retention.maxBytes,
      duplicate_window: nanos(Math.min(options.duplicateWindowMs ?? 120_000, retention.maxAgeMs)),
      num_replicas: options.replicas ?? 1,
      allow_direct: true,
    };
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    nc.subscribe(`${this.#inbox}.*`, { callback: (_e, m) => this.#acked(m) });
    this.#timer = setInterval(() => this.#tick(), options.flushIntervalMs ?? 100);
    this.#timer.unref();
    void this.#watch();
  }

  get connected(): boolean {
    return this.#natsUp && this.#streamReady && !this.#closed;
  }

  append(stream: string, event: LogAppend): void {
    if (this.#closed) {
      this.#stats.appended++;
      this.#stats.dropped.closed++;
      return;
    }
    this.#queue.push(stream, event);
  }

  async read(query: LogQuery): Promise<LogEvent[]> {
    if (!this.connected)
      throw new LogUnavailableError('the log is unavailable', { cause: this.#lastError });
    this.#stats.reads++;
    const filter = filterSubject(this.#subjects, query.stream, query.type);
    try {
      const { name } = this.#config;
      return await readEvents(this.#js, this.#readApis, name, filter, query, this.#slackMs);
    } catch (error) {
      throw new LogUnavailableError('reading the log failed', { cause: error });
    }
  }

  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0) {
      this.#tick();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stats(): LogStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // What can still be stored goes out; the rest is counted.
    if (this.#natsUp && this.#streamReady) this.#send();
    this.#queue.clear('closed');
    const deadline = Date.now() + 5000;
    while (this.#inFlight > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    clearInterval(this.#timer);
    await this.#nc.drain();
  }

  /** Per tick: age out what waited too long, make sure the stream exists, send a batch. */
  #tick(): void {
    this.#queue.expire('unavailable');
    this.#expireAcks();
    if (this.#closed || !this.#natsUp) return;
    if (!this.#streamReady) {
      if (!this.#ensuring) {
        this.#ensuring = true;
        void this.#ensureStream().finally(() => (this.#ensuring = false));
      }
      return;
    }
    this.#send();
  }

  /**
   * Publishes the queued events of one tick as plain NATS messages, the last one with a reply
   * subject under one inbox: the stream stores one connection's messages in order, so its
   * acknowledgement of the last one says the batch went in. One acknowledgement per tick, not per
   * event: each one costs a read here and a write on the server, and this machine's syscalls made
   * per-event acknowledgements the log's largest cost on the gateway.
   */
  #send(): void {
    const room = this.#maxInFlight - this.#inFlight;
    if (room <= 0 || this.#queue.length === 0) return;
    const batch = this.#queue.take(room);
    const n = ++this.#sent;
    this.#pending.set(n, { at: performance.now(), events: batch.length });
    this.#inFlight += batch.length;
    try {
      batch.forEach(({ stream, event }, i) => {
        const h = headers();
        h.set('Nats-Msg-Id', event.id);
        this.#nc.publish(this.#subjects.event(stream, event.type), encode(stream, event), {
          headers: h,
          ...(i === batch.length - 1 ? { reply: `${this.#inbox}.${n}` } : {}),
        });
      });
    } catch (error) {
      // A publish refused locally (the connection closing): the batch is not confirmed.
      this.#lastError = error;
      this.#settle(n, 'failed');
    }
  }

  /** A batch's acknowledgement (or the server's "no responders": the stream is missing). */
  #acked(m: Msg): void {
    const n = Number(m.subject.slice(this.#inbox.length + 1));
    if (!this.#pending.has(n)) return;
    if (m.headers?.code === 503 || m.data.length === 0) {
      // Nobody listens on the subject: the server came back without the stream.
      this.#streamReady = false;
      return this.#settle(n, 'unavailable');
    }
    const text = DECODER.decode(m.data);
    if (text.includes('"error"')) {
      this.#lastError = new Error(`JetStream refused an append: ${text}`);
      return this.#settle(n, 'failed');
    }
    this.#settle(n, text.includes('"duplicate":true') ? 'duplicate' : 'stored');
  }

  /** Counts a batch: stored (its last event a duplicate: one less), or not confirmed, by reason. */
  #settle(n: number, outcome: 'stored' | 'duplicate' | 'failed' | 'unavailable'): void {
    const batch = this.#pending.get(n);
    if (!batch) return;
    this.#pending.delete(n);
    this.#inFlight -= batch.events;
    if (outcome === 'stored') this.#stats.stored += batch.events;
    else if (outcome === 'duplicate') this.#stats.stored += batch.events - 1;
    else this.#stats.dropped[outcome] += batch.events;
  }

  /** Batches not acknowledged in time are counted (lost with a connection, or refused silently). */
  #expireAcks(): void {
    const oldest = performance.now() - this.#ackTimeoutMs;
    for (const [n, { at }] of this.#pending) {
      if (at > oldest) break;
      this.#settle(n, this.#natsUp ? 'failed' : 'unavailable');
    }
  }

  async #ensureStream(): Promise<void> {
    try {
      await ensureStream(this.#jsm, this.#config);
      this.#streamReady = true;
    } catch (error) {
      this.#lastError = error;
    }
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') this.#natsUp = false;
      else if (s.type === 'reconnect') {
        this.#natsUp = true;
        // The server may have come back without the stream: check before sending again.
        this.#streamReady = false;
      }
    }
  }
}

/**
 * Connects to NATS and resolves with the log once its stream exists (created, or its limits
 * updated to these options), or after `readyTimeoutMs` without it: the log then starts
 * disconnected (appends counted as dropped) and keeps trying. Waits while NATS is not up yet.
 */
export async function connectJetStreamLog(options: JetStreamLogOptions): Promise<JetStreamLog> {
  const nc = await connect({
    servers: options.servers,
    name: options.name ?? 'roar-log',
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: 5000,
    waitOnFirstConnect: true,
  });
  // No API check: JetStream being down at start degrades the log, it does not stop the caller.
  const jsm = {
    main: await jetstreamManager(nc, { checkAPI: false }),
    reads: await readApis(nc),
  };
  const log = new JetStreamLog(nc, jsm, options);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 5000);
  while (!log.connected && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return log;
}
