import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type Consumer,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { isLogEvent, LogSubjects, type LogEvent, type LogEventType } from '@roar/log';
import type { EventFeed } from './feed.js';

export interface JetStreamFeedOptions {
  nc: NatsConnection;
  /** The log's subject prefix (`ROAR_PREFIX`): it names the log's stream and subjects. */
  prefix: string;
  endpoint: string;
  types: readonly LogEventType[];
  /**
   * How long delivered events may stay unacknowledged before JetStream would offer them again;
   * longer than the whole retry schedule of one batch.
   */
  ackWaitMs: number;
}

const DECODER = new TextDecoder();

/**
 * A feed on a durable JetStream consumer of the log (`webhook-<endpoint>` on `<PREFIX>_LOG`,
 * filtered to the endpoint's event types, acknowledged cumulatively). The consumer's ack floor is
 * the endpoint's position, kept by JetStream: a restarted process goes on from there. At open the
 * consumer is made again starting just after its ack floor, so events delivered but not
 * acknowledged before a crash come again at once (not after `ackWaitMs`), in order, and a change
 * of the endpoint's event types applies from that point. A new endpoint starts with the events
 * appended after its first start. If JetStream comes back empty, the log's stream is made again
 * and numbers from 1 (told apart by its creation time): the feed then delivers the new log from
 * its start, whatever it had acknowledged in the old one. After a reconnect the consumer is
 * opened again in the same way at the next read (NATS may have come back with or without it),
 * and `ready` stays false until it is. One process per endpoint (see docs/operations.md).
 */
export class JetStreamFeed implements EventFeed {
  readonly #o: JetStreamFeedOptions;
  readonly #subjects: LogSubjects;
  readonly #types: ReadonlySet<LogEventType>;
  #jsm: JetStreamManager | undefined;
  #consumer: Consumer | undefined;
  /** The last message handed out and not acknowledged yet: acking it acks all before it. */
  #pending = new Map<number, JsMsg>();
  /**
   * Where this process stands in the log: the last event acknowledged, or the one before where
   * its consumer started; with the life of the log's stream it belongs to (the stream's creation
   * time), since a stream made again numbers from 1 again.
   */
  #position: { seq: number; created: string } | undefined;
  /** The creation time of the stream the open consumer reads. */
  #created = '';
  /** The consumer was opened since the connection last (re)connected and has not failed since. */
  #ready = false;
  /** Counts disconnects and reconnects: an open belongs to the connection it was made on. */
  #epoch = 0;
  readonly #status: ReturnType<NatsConnection['status']>;

  constructor(options: JetStreamFeedOptions) {
    this.#o = options;
    this.#subjects = new LogSubjects(options.prefix);
    this.#types = new Set(options.types);
    this.#status = options.nc.status();
    void this.#watch();
  }

  get name(): string {
    return `webhook-${this.#o.endpoint}`;
  }

  get ready(): boolean {
    return this.#ready;
  }

  async next(max: number, waitMs: number): Promise<LogEvent[]> {
    const consumer = await this.#open();
    const out: LogEvent[] = [];
    let lastSeq = 0;
    try {
      // Read to its end (`max` messages, or `waitMs`): a message left in an abandoned fetch
      // would be acknowledged with the later ones (AckAll) without ever being delivered.
      const batch = await consumer.fetch({ max_messages: max, expires: Math.max(1000, waitMs) });
      for await (const m of batch) {
        this.#pending.set(m.seq, m);
        lastSeq = m.seq;
        const event = decode(m);
        if (event && this.#types.has(event.type)) out.push(event);
      }
    } catch (error) {
      // The consumer (or the server's copy of it) is gone: made again at the next call.
      this.#consumer = undefined;
      this.#ready = false;
      throw error;
    }
    // Only other types (or events of a newer schema): nothing to deliver, nothing to hold.
    if (out.length === 0 && lastSeq > 0) await this.ack(lastSeq);
    return out;
  }

  async ack(seq: number): Promise<void> {
    let last: JsMsg | undefined;
    for (const [s, m] of this.#pending) {
      if (s > seq) break;
      last = m;
      this.#pending.delete(s);
    }
    if (last === undefined) return;
    // AckAll: one acknowledgement for the batch, confirmed so a restart cannot go back past it.
    const created = this.#created;
    await last.ackAck();
    // Confirmed after the consumer was opened again in a new stream: it says nothing of that one.
    if (this.#created === created) this.#position = { seq: last.seq, created };
  }

  async close(): Promise<void> {
    this.#consumer = undefined;
    this.#ready = false;
    // nats.js's status iterator has a `stop` its type does not show; without it, it ends with the
    // connection.
    (this.#status as { stop?: () => void }).stop?.();
  }

  /** From a disconnect, not ready; after the reconnect the next read opens the consumer again. */
  async #watch(): Promise<void> {
    for await (const s of this.#status) {
      if (s.type !== 'disconnect' && s.type !== 'reconnect') continue;
      this.#epoch++;
      this.#ready = false;
      this.#consumer = undefined;
    }
  }

  async #open(): Promise<Consumer> {
    if (this.#consumer) return this.#consumer;
    const epoch = this.#epoch;
    this.#jsm ??= await jetstreamManager(this.#o.nc, { checkAPI: false });
    const jsm = this.#jsm;
    const stream = this.#subjects.streamName();
    // The stream first (not found: JetStream came back empty and the log has not made it again
    // yet; thrown, tried again at the next call). Its creation time tells one life of the log
    // from the next.
    const { created, state } = await jsm.streams.info(stream);
    let floor: number | undefined;
    if (this.#position?.created === created) floor = this.#position.seq;
    // The log was made again since this process last read it: all of the new one is delivered,
    // whether or not anything was acknowledged before (an acknowledgement in flight when the
    // server went down is never confirmed).
    else if (this.#position !== undefined) floor = 0;
    try {
      const info = await jsm.consumers.info(stream, this.name);
      floor = Math.max(floor ?? 0, info.ack_floor.stream_seq);
      await jsm.consumers.delete(stream, this.name);
    } catch (error) {
      if (!/consumer not found/i.test(String(error))) throw error;
      // A new endpoint: the events appended after its first start.
      floor ??= state.last_seq;
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: this.name,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(this.#o.ackWaitMs),
      max_ack_pending: -1,
      // One filter (NATS 2.9 has no `filter_subjects`): the endpoint's type when it has one,
      // else the whole log, the other types skipped here (and acknowledged with the rest).
      filter_subject:
        this.#o.types.length === 1
          ? `${this.#subjects.prefix}.log.*.${this.#o.types[0]}`
          : this.#subjects.all(),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: floor + 1,
    };
    const info = await jsm.consumers.add(stream, config);
    this.#created = created;
    this.#position = { seq: floor, created };
    this.#pending.clear();
    const consumer = jetstream(this.#o.nc).consumers.getConsumerFromInfo(info);
    // Opened across a disconnect: used for this read, opened again for the next.
    if (epoch === this.#epoch) {
      this.#consumer = consumer;
      this.#ready = true;
    }
    return consumer;
  }
}

function decode(m: JsMsg): LogEvent | undefined {
  try {
    const e = JSON.parse(DECODER.decode(m.data)) as Record<string, unknown>;
    e.seq = m.seq;
    // Events of a newer schema are skipped (the log's rule for every reader).
    return isLogEvent(e) ? e : undefined;
  } catch {
    return undefined;
  }
}
