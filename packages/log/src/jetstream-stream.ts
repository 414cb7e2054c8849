import {
  AckPolicy,
  jetstreamManager,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { isLogEvent, LOG_SCHEMA_VERSION, type LogAppend, type LogEvent } from './events.js';
import { readLimit, type LogQuery } from './log.js';

// The JetStream log's parts that talk to the stream itself: creating it, the wire form of an
// event, and reads through a short-lived consumer.

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * The API timeout of each try at a request JetStream may never answer (a read's consumer placed on
 * a dead node: see `addReadConsumer`), in order. An answered consumer creation takes milliseconds
 * (p50 3.8 ms, max 20 ms over 100 with one node of three down, on the 2-core test host), an
 * unanswered one never comes: short tries first, then longer ones for a server that is only slow.
 * 8.5 s in all; with a third of the tries placed on a dead node, one read in 177,000 fails.
 */
export const UNANSWERED_TRY_TIMEOUTS_MS: readonly number[] = [
  500, 500, 500, 500, 500, 500, 500, 500, 1500, 1500, 1500,
];

/**
 * `attempt` with each timeout of `UNANSWERED_TRY_TIMEOUTS_MS` in turn, while it rejects for want
 * of an answer (`TimeoutError`); any other error, or the last timeout, rejects at once.
 */
export async function tryUntilAnswered<T>(attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const timeoutMs = UNANSWERED_TRY_TIMEOUTS_MS[i]!;
    try {
      return await attempt(timeoutMs);
    } catch (error) {
      const unanswered = error instanceof Error && error.name === 'TimeoutError';
      if (!unanswered || i + 1 >= UNANSWERED_TRY_TIMEOUTS_MS.length) throw error;
    }
  }
}

/** The JetStream API with each timeout of `UNANSWERED_TRY_TIMEOUTS_MS`, for `readEvents`. */
export type ReadApis = ReadonlyMap<number, JetStreamManager>;

export async function readApis(nc: NatsConnection): Promise<ReadApis> {
  const apis = new Map<number, JetStreamManager>();
  for (const timeout of new Set(UNANSWERED_TRY_TIMEOUTS_MS))
    apis.set(timeout, await jetstreamManager(nc, { checkAPI: false, timeout }));
  return apis;
}

/**
 * Events matching `query` on `filter` (one subject, wildcards allowed: nats-server 2.9 takes one
 * filter per consumer), oldest first. An ephemeral consumer (no acks, in memory) starts at the
 * position or at `fromTs − slackMs` (an event's time precedes its store time by the append queue's
 * wait and clock skew at most); reading stops at `toTs + slackMs` of store time, at the limit, or
 * when nothing is pending.
 */
export async function readEvents(
  js: JetStreamClient,
  apis: ReadApis,
  streamName: string,
  filter: string,
  query: LogQuery,
  slackMs: number,
): Promise<LogEvent[]> {
  const limit = readLimit(query.limit);
  const cfg: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.None,
    filter_subject: filter,
    inactive_threshold: nanos(10_000),
    mem_storage: true,
    num_replicas: 1,
  };
  if (query.fromSeq !== undefined) {
    cfg.deliver_policy = DeliverPolicy.StartSequence;
    cfg.opt_start_seq = Math.max(1, query.fromSeq);
  } else if (query.fromTs !== undefined) {
    cfg.deliver_policy = DeliverPolicy.StartTime;
    cfg.opt_start_time = new Date(Math.max(0, query.fromTs - slackMs)).toISOString();
  } else {
    cfg.deliver_policy = DeliverPolicy.All;
  }
  const stopAt = query.toTs === undefined ? Infinity : query.toTs + slackMs;
  const out: LogEvent[] = [];
  const info = await addReadConsumer(apis, streamName, cfg);
  try {
    let pending = info.num_pending;
    const consumer = js.consumers.getConsumerFromInfo(info);
    while (pending > 0 && out.length < limit) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 512), expires: 5000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        pending = m.info.pending;
        if (m.info.timestampNanos / 1e6 > stopAt) {
          pending = 0;
          break;
        }
        const e = decode(m.data, m.seq);
        if (e && inQuery(e, query)) out.push(e);
        if (pending === 0 || out.length >= limit) break;
      }
      if (got === 0) break;
    }
  } finally {
    dropReadConsumer(apis, streamName, info.name);
  }
  return out;
}

/**
 * Tries at placing a read's consumer on its stream's leader (`addReadConsumer`), per copy of the
 * stream. The server places it on any copy, so a read fails once in 190,000 with 3 copies (30
 * placements missing the leader) and once in 70,000 with 5 (50); a placement costs a creation and
 * a deletion, about 5 ms each.
 */
const READ_PLACEMENTS_PER_COPY = 10;

/**
 * Creates a read's one-copy consumer on the node that leads `stream`, for `readEvents` and the
 * webhooks' dead letters. In a cluster, nats-server 2.9 places such a consumer on any node of the
 * stream (evenly: 8, 12 and 10 of 30), and the consumer reads that node's copy:
 *
 * - A node that was SIGKILLed is still chosen until it is back (measured, 46 of 150 creations with
 *   one node of three down, never more than 4 in a row), and that creation is never answered;
 *   another try is placed anew (`tryUntilAnswered`). The unanswered ones are created, and expire
 *   unused (`inactive_threshold`), when their node returns.
 * - A copy can be short although its leader reports it `current`: nats-server 2.9.10's copy on a
 *   node restarted in the middle of its stream's leader election lost the messages stored before
 *   when the stream had been purged by subject (`/jsz` on that node: first_seq 3 of 4, in 3 runs
 *   of 3), and a read placed there found 2 of 4 dead letters. Nothing in a consumer's answer
 *   tells, so the consumer is kept only on the node the stream's info (fetched meanwhile) names
 *   its leader, the copy raft holds true; elsewhere it is deleted and placed again: 3 placements
 *   a read on average with 3 copies.
 */
export async function addReadConsumer(
  apis: ReadApis,
  stream: string,
  cfg: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  for (let placement = 1; ; placement++) {
    const [info, copies] = await Promise.all([
      tryUntilAnswered((timeoutMs) => apis.get(timeoutMs)!.consumers.add(stream, cfg)),
      tryUntilAnswered((timeoutMs) => apis.get(timeoutMs)!.streams.info(stream)),
    ]);
    // A server without a cluster names itself as both, or neither.
    const node = info.cluster?.leader;
    const leader = copies.cluster?.leader;
    if (node === leader) return info;
    dropReadConsumer(apis, stream, info.name);
    if (placement >= READ_PLACEMENTS_PER_COPY * Math.max(1, copies.config.num_replicas))
      throw new Error(`${stream}: ${placement} read consumers in a row placed off its leader`);
    // No leader named: the answer came from a copy that knows none (a member of a leaderless
    // group may answer stream info; one catching up after a restart might, while the others have
    // a leader: not seen directly); a moment later, one is known.
    if (leader === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Deletes a read's consumer now, so consumers do not pile up under many reads; if this fails it
 * expires by itself after `inactive_threshold`, so the failure needs no handling.
 */
export function dropReadConsumer(apis: ReadApis, stream: string, name: string): void {
  void apis
    .get(UNANSWERED_TRY_TIMEOUTS_MS[0]!)!
    .consumers.delete(stream, name)
    .catch(() => false);
}

/** The settings `ensureStream` brings an existing stream to; the rest are fixed at creation. */
const UPDATABLE = [
  'max_age',
  'max_bytes',
  'max_msgs_per_subject',
  'duplicate_window',
  'num_replicas',
] as const satisfies readonly (keyof StreamConfig)[];

/**
 * Creates a stream (the log's, the webhooks' dead letters), or brings an existing one's limits and
 * replicas to those `config` sets. A changed `num_replicas` is an update too: a clustered
 * JetStream (2.9) adds or removes the copies in place, the new ones catching up from the leader,
 * while the stream keeps taking messages. Rejects when the server refuses (e.g. more replicas than
 * JetStream servers up, or replicas above 1 on a server without a cluster) and the caller tries
 * again later; the stream, if it exists, is left as it was. Resolves with the stream's creation
 * time: another one than before means JetStream came back without it, and it was made again.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<{ created: string }> {
  try {
    const info = await jsm.streams.info(config.name);
    const c = info.config;
    if (UPDATABLE.some((key) => config[key] !== undefined && c[key] !== config[key])) {
      await jsm.streams.update(config.name, { ...c, ...config });
    }
    return { created: info.created };
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    return { created: (await jsm.streams.add(config)).created };
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}

export function encode(stream: string, e: LogAppend): Uint8Array {
  return ENCODER.encode(
    JSON.stringify({
      v: LOG_SCHEMA_VERSION,
      type: e.type,
      id: e.id,
      stream,
      ts: e.ts,
      data: e.data,
    }),
  );
}

function decode(data: Uint8Array, seq: number): LogEvent | undefined {
  try {
    const e = JSON.parse(DECODER.decode(data)) as Record<string, unknown>;
    e.seq = seq;
    // Events of a newer schema (or foreign messages on our subjects) are skipped.
    return isLogEvent(e) ? e : undefined;
  } catch {
    return undefined;
  }
}

function inQuery(e: LogEvent, q: LogQuery): boolean {
  if (q.fromTs !== undefined && e.ts < q.fromTs) return false;
  if (q.toTs !== undefined && e.ts >= q.toTs) return false;
  return true;
}
