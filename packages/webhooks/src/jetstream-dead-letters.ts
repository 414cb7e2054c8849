import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  addReadConsumer,
  dropReadConsumer,
  ensureStream,
  readApis,
  type ReadApis,
} from '@roar/log';
import type { DeadLetter, DeadLetterJournal } from './dead-letters.js';

export interface JetStreamDeadLetterOptions {
  nc: NatsConnection;
  /** The deployment's prefix (`ROAR_PREFIX`): it names the stream and its subjects. */
  prefix: string;
  /**
   * Copies of the stream in a JetStream cluster (`ROAR_WEBHOOK_DEAD_REPLICAS`, 1–5), applied to
   * an existing stream too. Default 1.
   */
  replicas?: number;
  /** How often the stream is checked again while it cannot be (after a reconnect). Default 1 s. */
  retryMs?: number;
}

/** One stored message: a letter with a slice of its events. */
interface Part {
  part: number;
  parts: number;
  letter: DeadLetter;
}

/**
 * The API timeout of the stream's check (`#check`). While a cluster elects the stream's leader
 * after losing it, a request is not answered at all and waits this long; the check is tried
 * again `retryMs` after, so the journal is ready at most this plus `retryMs` after the election
 * (with the client's default of 5 s, measured: 5.4, 10.7 or 15.9 s after the leader's kill).
 */
const CHECK_TIMEOUT_MS = 1500;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * Dead letters in a JetStream stream of their own, one per deployment: `<PREFIX>_WEBHOOK_DEAD`,
 * file-stored, a letter in one or more parts (`<prefix>.webhook.dead.<id>.<part>`, each under
 * `max_payload`). The bound (`ROAR_WEBHOOK_DEAD_LETTER_MAX` letters) is kept by `DeadLetters`,
 * which deletes the oldest letter here when a new one would pass it.
 * A stream rather than the log's own: letters are deleted one by one when redelivered, which the
 * log's append-only retention would not allow, and they must outlive the log's `max_age`.
 * Rather than the Redis store: the webhook process needs nothing but NATS.
 *
 * The stream is made sure of at open and again after every reconnect (JetStream may have come
 * back without it, or with other replicas): `ready` is false from a disconnect until then, and an
 * operation meanwhile makes sure of it first.
 */
export class JetStreamDeadLetterJournal implements DeadLetterJournal {
  readonly #o: JetStreamDeadLetterOptions;
  readonly #js: JetStreamClient;
  /** The API with the timeouts of `load`'s tries (`addReadConsumer`). */
  readonly #readApis: ReadApis;
  readonly #jsm: JetStreamManager;
  /** The same with a shorter timeout, for the stream's check. */
  readonly #checkJsm: JetStreamManager;
  readonly #stream: string;
  readonly #subject: string;
  /** The stream was made sure of since the connection last (re)connected. */
  #ready = false;
  /** The check in progress, shared by whoever needs it meanwhile. */
  #ensuring: Promise<void> | undefined;
  /** Counts disconnects and reconnects: a check belongs to the connection it was made on. */
  #epoch = 0;
  #rechecking = false;
  /** When the stream was created, as first found or made: another time later, it came back empty. */
  #created: string | undefined;
  #restore: (() => Promise<void>) | undefined;
  /** The stream came back empty and what it held is not yet put back (see `onLost`). */
  #lost = false;
  #restoring = false;

  private constructor(
    o: JetStreamDeadLetterOptions,
    jsm: JetStreamManager,
    checkJsm: JetStreamManager,
    reads: ReadApis,
  ) {
    this.#o = o;
    this.#js = jetstream(o.nc);
    this.#readApis = reads;
    this.#jsm = jsm;
    this.#checkJsm = checkJsm;
    this.#stream = `${o.prefix.replaceAll('.', '_').toUpperCase()}_WEBHOOK_DEAD`;
    this.#subject = `${o.prefix}.webhook.dead`;
  }

  /**
   * Opens the journal, creating its stream the first time and bringing it to `replicas` after.
   * Rejects when JetStream cannot (not enabled, or fewer servers than `replicas`).
   */
  static async open(o: JetStreamDeadLetterOptions): Promise<JetStreamDeadLetterJournal> {
    const jsm = await jetstreamManager(o.nc, { checkAPI: false });
    const checkJsm = await jetstreamManager(o.nc, { checkAPI: false, timeout: CHECK_TIMEOUT_MS });
    const j = new JetStreamDeadLetterJournal(o, jsm, checkJsm, await readApis(o.nc));
    // The first check may create the stream, which a loaded cluster answers slowly: the default.
    await j.#ensure(jsm);
    void j.#watch();
    return j;
  }

  get streamName(): string {
    return this.#stream;
  }

  /** The stream was made sure of since the connection last (re)connected. */
  get ready(): boolean {
    return this.#ready;
  }

  onLost(restore: () => Promise<void>): void {
    this.#restore = restore;
  }

  async load(): Promise<DeadLetter[]> {
    await this.#ensure();
    return this.#readAll();
  }

  async #readAll(): Promise<DeadLetter[]> {
    const info = await this.#jsm.streams.info(this.#stream);
    if (info.state.messages === 0) return [];
    // A one-copy consumer on the stream's leader (see @roar/log's reads: nats-server 2.9 may place
    // it on a dead node, never answered, or on a short copy, which reads too little).
    const created = await addReadConsumer(this.#readApis, this.#stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: nanos(10_000),
      mem_storage: true,
      num_replicas: 1,
    });
    const consumer = this.#js.consumers.getConsumerFromInfo(created);
    // Letters in the order of their first part; one missing a part (a crash between parts) was
    // never acknowledged, so its batch is delivered again: it is skipped.
    const parts = new Map<string, Part[]>();
    let pending = info.state.messages;
    try {
      while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: 256, expires: 5000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          pending = m.info.pending;
          const part = JSON.parse(DECODER.decode(m.data)) as Part;
          const list = parts.get(part.letter.id) ?? [];
          list[part.part] = part;
          parts.set(part.letter.id, list);
          if (pending === 0) break;
        }
        if (got === 0) break;
      }
    } finally {
      // It would expire once idle (`inactive_threshold`); deleting it now only saves the wait.
      dropReadConsumer(this.#readApis, this.#stream, created.name);
    }
    // Nothing came while letters were left: a part of the list is no list.
    if (pending > 0)
      throw new Error(`dead letters: ${pending} parts not read from ${this.#stream}`);
    const out: DeadLetter[] = [];
    for (const list of parts.values()) {
      const first = list[0];
      if (!first || list.length !== first.parts || list.some((p) => p === undefined)) continue;
      out.push({ ...first.letter, events: list.flatMap((p) => p.letter.events) });
    }
    return out;
  }

  /**
   * Stores `letter` in parts that each fit the server's `max_payload` (a batch of
   * `ROAR_WEBHOOK_MAX_BATCH` events may not), every part under its own subject.
   */
  async put(letter: DeadLetter): Promise<void> {
    const limit = Math.max(4096, this.#o.nc.info?.max_payload ?? 1 << 20) - 4096;
    const chunks: DeadLetter['events'][] = [[]];
    let size = 0;
    for (const e of letter.events) {
      const bytes = ENCODER.encode(JSON.stringify(e)).length + 1;
      const last = chunks.at(-1)!;
      if (size + bytes > limit && last.length > 0) {
        chunks.push([e]);
        size = bytes;
      } else {
        last.push(e);
        size += bytes;
      }
    }
    // A letter stored again (another failed attempt) replaces its old parts: one message per
    // subject (`max_msgs_per_subject`), and parts past the new count are deleted.
    await this.#ensure();
    for (const [i, events] of chunks.entries()) {
      const part: Part = { part: i, parts: chunks.length, letter: { ...letter, events } };
      await this.#js.publish(this.#part(letter.id, i), ENCODER.encode(JSON.stringify(part)));
    }
    await this.#deleteParts(letter.id, chunks.length);
  }

  async delete(id: string): Promise<void> {
    await this.#ensure();
    await this.#deleteParts(id, 0);
  }

  /**
   * Deletes a letter's parts from `from` on, one message at a time, never with a purge:
   * nats-server 2.9.10 replaying a purge by subject on a node restarted during its stream's
   * leader election drops other subjects' messages from that node's copy (3 runs of 3; none in 3
   * with deletes of one message each). The last part first, so that a crash midway leaves a
   * letter's first parts, and its part count, for the next delete to find.
   */
  async #deleteParts(id: string, from: number): Promise<void> {
    const seqs: number[] = [];
    for (let i = from; ; i++) {
      const found = await this.#jsm.streams.getMessage(this.#stream, {
        last_by_subj: this.#part(id, i),
      });
      if (!found) break;
      seqs.push(found.seq);
    }
    for (const seq of seqs.reverse())
      await this.#jsm.streams.deleteMessage(this.#stream, seq, false);
  }

  #part(id: string, i: number): string {
    return `${this.#subject}.${id}.${i}`;
  }

  /** Makes sure of the stream unless that was done since the last (re)connect. */
  async #ensure(jsm = this.#checkJsm): Promise<void> {
    if (this.#ready) return;
    this.#ensuring ??= this.#check(jsm);
    await this.#ensuring;
  }

  async #check(jsm: JetStreamManager): Promise<void> {
    const epoch = this.#epoch;
    try {
      const found = await ensureStream(jsm, {
        name: this.#stream,
        subjects: [`${this.#subject}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_msgs_per_subject: 1,
        num_replicas: this.#o.replicas ?? 1,
      });
      if (this.#created !== undefined && found.created !== this.#created) this.#lost = true;
      this.#created = found.created;
      // Checked on a connection that dropped meanwhile: it says nothing of the server now.
      if (epoch === this.#epoch) this.#ready = true;
    } finally {
      this.#ensuring = undefined;
    }
    if (this.#lost && this.#ready) void this.#putBack();
  }

  /**
   * JetStream came back without the stream: the owner puts its letters back (`onLost`), tried
   * again every `retryMs` until that works or the connection ends.
   */
  async #putBack(): Promise<void> {
    if (this.#restoring || !this.#restore) return;
    this.#restoring = true;
    try {
      while (this.#lost && !this.#o.nc.isClosed()) {
        try {
          await this.#restore();
          this.#lost = false;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, this.#o.retryMs ?? 1000).unref());
        }
      }
    } finally {
      this.#restoring = false;
    }
  }

  /**
   * Not ready from a disconnect; after a reconnect the stream is checked (and made again if
   * JetStream came back without it) until that works, so `ready` comes back without waiting
   * for the next letter. Ends with the connection.
   */
  async #watch(): Promise<void> {
    for await (const s of this.#o.nc.status()) {
      if (s.type !== 'disconnect' && s.type !== 'reconnect') continue;
      this.#epoch++;
      this.#ready = false;
      if (s.type === 'reconnect' && !this.#rechecking) void this.#recheck();
    }
  }

  async #recheck(): Promise<void> {
    this.#rechecking = true;
    try {
      while (!this.#ready && !this.#o.nc.isClosed()) {
        try {
          await this.#ensure();
        } catch {
          // Not yet (JetStream starting, a leader being elected): tried again in `retryMs`; an
          // operation meanwhile tries by itself and reports its own failure.
          await new Promise((resolve) => setTimeout(resolve, this.#o.retryMs ?? 1000).unref());
        }
      }
    } finally {
      this.#rechecking = false;
    }
  }
}
