import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createHistogram } from 'node:perf_hooks';
import type { LoopDelay } from './beat.js';
import { FixedHistogram } from './fixed-histogram.js';
import { NEVER_MS, replaceLoopLag } from './loop-lag.js';

/** The series of `roar_chat_accept_seconds`, by index (`chatAccept.observe(s, ACCEPT.held)`). */
export const ACCEPT = { accepted: 0, held: 1, rejected: 2 } as const;

/** Seconds: from half a millisecond (a local ack) to 10 s (a stuck loop or a storm). */
export const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/**
 * Every 25 ms up to 300 ms, where a tick's wait and a big stream's frame put a latest value's time
 * and a frame's fanout (`roar_fanout_latest_seconds`, `roar_fanout_write_seconds`), then coarser.
 */
const REACH_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4,
  0.5, 0.75, 1, 2.5, 5, 10,
];
const SLOT_LABELS = ['state', 'poll', 'qa', 'viewers', 'reactions', 'other'] as const;

/**
 * The gateway's Prometheus metrics, in a registry of its own (several gateways can share a test
 * process). Names are documented in docs/operations.md.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'roar_connections',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });
  readonly connectionsTotal = new Counter({
    name: 'roar_connections_total',
    help: 'WebSocket upgrades by result (accepted, refused_auth, refused_protocol)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly streams = new Gauge({
    name: 'roar_streams',
    help: 'Streams held by this gateway',
    registers: [this.registry],
  });
  readonly joins = new Counter({
    name: 'roar_joins_total',
    help: 'Stream joins',
    registers: [this.registry],
  });
  readonly leaves = new Counter({
    name: 'roar_leaves_total',
    help: 'Stream leaves, including by disconnect',
    registers: [this.registry],
  });
  readonly framesIn = new Counter({
    name: 'roar_frames_in_total',
    help: 'Frames received from clients',
    registers: [this.registry],
    collect: () => this.#foldFrames(),
  });
  readonly framesOut = new Counter({
    name: 'roar_frames_out_total',
    help: 'Frames written to clients (a batch published to n viewers counts n)',
    registers: [this.registry],
    collect: () => this.#foldFrames(),
  });
  // Counted per frame in plain numbers (`frameIn`, `replyOut`), folded in at each read.
  #framesIn = 0;
  #repliesOut = 0;
  readonly batches = new Counter({
    name: 'roar_batches_total',
    help: 'Batch frames encoded (once per stream per tick per codec set)',
    registers: [this.registry],
  });
  readonly coalesced = new Counter({
    name: 'roar_fanout_coalesced_total',
    help: 'Ticks at which a stream with news still had its last batch being written: the news waited and went out merged into the next batch (a gateway behind its writes)',
    registers: [this.registry],
  });
  readonly leadingBatches = new Counter({
    name: 'roar_fanout_leading_total',
    help: 'Batches sent at once, not at the tick, because their stream had sent nothing for a tick',
    registers: [this.registry],
  });
  readonly joined = new Counter({
    name: 'roar_fanout_joined_total',
    help: 'Latest values (live state, poll results, Q&A boards) that joined a batch still being written, for its slices not written yet',
    registers: [this.registry],
  });
  readonly rejectedFrames = new Counter({
    name: 'roar_rejected_frames_total',
    help: 'Client frames answered with an error, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly chat = new Counter({
    name: 'roar_chat_total',
    help: 'Chat messages by result (accepted, rejected) and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
    // Accepted messages are counted in a plain number (`chatAccepted`) and folded in at each
    // read: hashing the labels on every message was a measurable part of its acceptance.
    collect: () => this.#foldAccepted(),
  });
  #accepted = 0;
  readonly reactions = new Counter({
    name: 'roar_reactions_total',
    help: 'Reactions by result (accepted, rejected) and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: 'roar_server_closes_total',
    help: 'Connections closed by the server, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly busSubscriptions = new Counter({
    name: 'roar_bus_subscriptions_total',
    help: 'Per-stream bus subscriptions made',
    registers: [this.registry],
  });
  readonly busConnected = new Gauge({
    name: 'roar_bus_connected',
    help: '1 while the bus connection is up',
    registers: [this.registry],
  });
  readonly badBusMessages = new Counter({
    name: 'roar_bad_bus_messages_total',
    help: 'Bus messages that could not be decoded',
    registers: [this.registry],
  });
  readonly historyLoadFailures = new Counter({
    name: 'roar_history_load_failures_total',
    help: 'Streams whose recent chat could not be read from the store (viewers joined without it)',
    registers: [this.registry],
  });
  readonly historyWriteFailures = new Counter({
    name: 'roar_history_write_failures_total',
    help: 'Chat messages whose history write failed (kept and retried at the next tick)',
    registers: [this.registry],
  });
  readonly historyDropped = new Counter({
    name: 'roar_history_dropped_total',
    help: 'Chat messages given up on for history (retry buffer full, or stopped with the store down): a hole resumes report',
    registers: [this.registry],
  });
  readonly chatRecovered = new Counter({
    name: 'roar_chat_recovered_total',
    help: 'Chat messages live fanout missed (a position hole, a bus outage) and delivered from history',
    registers: [this.registry],
  });
  readonly chatGaps = new Counter({
    name: 'roar_chat_gaps_total',
    help: 'Gap events sent to viewers, by reason (hole: positions history did not hold; outage: history unreadable after a bus outage)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly loopStalls = new Counter({
    name: 'roar_loop_stalls_total',
    help: 'Event-loop stalls longer than the stall threshold (a GC pause, a VM stall, SIGSTOP)',
    registers: [this.registry],
  });
  readonly slowClients = new Counter({
    name: 'roar_slow_clients_total',
    help: 'Slow connections by action: demoted to priority frames, recovered, closed (4001)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly skippedFrames = new Counter({
    name: 'roar_skipped_frames_total',
    help: 'Frames slow connections did not get, by class (chat, reactions)',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly sampledOut = new Counter({
    name: 'roar_chat_sampled_out_total',
    help: 'Chat messages left out of fanout by sampling (counted once per stream per gateway)',
    registers: [this.registry],
  });
  readonly sampledStreams = new Gauge({
    name: 'roar_chat_sampled_streams',
    help: 'Streams whose chat is being sampled',
    registers: [this.registry],
  });
  readonly samplingRatioMin = new Gauge({
    name: 'roar_chat_sampling_ratio_min',
    help: 'Lowest fraction of chat delivered over the streams of this gateway (1 = none sampled)',
    registers: [this.registry],
  });
  readonly admissionRefused = new Counter({
    name: 'roar_admission_refused_total',
    help: 'Upgrades refused with 503 by admission control, by reason (rate, max_connections, max_per_ip, closed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly degradationLevel = new Gauge({
    name: 'roar_degradation_level',
    help: 'Degradation level, 0 (normal) to 5 (admission closed)',
    registers: [this.registry],
  });
  readonly bufferedBytes = new Gauge({
    name: 'roar_outbound_buffered_bytes',
    help: 'Bytes waiting in all connections’ send buffers',
    registers: [this.registry],
  });
  readonly fencedTotals = new Counter({
    name: 'roar_viewers_fenced_total',
    help: 'Viewers events dropped because a later aggregator lease epoch had been seen for the stream',
    registers: [this.registry],
  });
  readonly staleTotals = new Counter({
    name: 'roar_viewers_stale_total',
    help: 'Times a stream figures were marked stale because their aggregator went silent',
    registers: [this.registry],
  });
  readonly uniqueAddFailures = new Counter({
    name: 'roar_unique_add_failures_total',
    help: 'Batches of viewer identities the store refused; retried on the next report',
    registers: [this.registry],
  });
  readonly uniqueIdsDropped = new Counter({
    name: 'roar_unique_ids_dropped_total',
    help: 'Viewer identities dropped because the store stayed unreachable past the retry bound',
    registers: [this.registry],
  });
  readonly earlyReports = new Counter({
    name: 'roar_early_reports_total',
    help: 'Count reports sent before their interval because a local count moved',
    registers: [this.registry],
  });
  readonly storeReadFailures = new Counter({
    name: 'roar_store_read_failures_total',
    help: 'Other store reads that failed',
    registers: [this.registry],
  });
  // Moderation fails closed: these say when and where it is refusing chat for want of rules.
  readonly provisionalStreams = new Gauge({
    name: 'roar_moderation_provisional_streams',
    help: 'Held streams whose rules are not loaded from the store yet (non-privileged chat refused)',
    registers: [this.registry],
  });
  readonly globalBansLoaded = new Gauge({
    name: 'roar_moderation_global_bans_loaded',
    help: '1 once global bans are loaded and the store generation checked; chat waits for it',
    registers: [this.registry],
  });
  readonly moderationLoadFailures = new Counter({
    name: 'roar_moderation_load_failures_total',
    help: 'Moderation loads from the store that failed (they are retried)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly storeDataLoss = new Counter({
    name: 'roar_store_data_loss_total',
    help: 'Times the store generation marker was missing or changed: Redis lost its data',
    registers: [this.registry],
  });

  // Latency distributions (the operations kit): observed once per chat message replied to and
  // once per batch written, never per socket, without allocating (see FixedHistogram).
  /** One more accepted chat message: `roar_chat_total{result="accepted"}` at the next read. */
  chatAccepted(): void {
    this.#accepted++;
  }

  /** One more frame read, one more reply written: counted at the next read. */
  frameIn = (): number => this.#framesIn++;
  replyOut = (): number => this.#repliesOut++;
  #foldFrames(): void {
    if (this.#framesIn > 0) this.framesIn.inc(this.#framesIn);
    if (this.#repliesOut > 0) this.framesOut.inc(this.#repliesOut);
    this.#framesIn = this.#repliesOut = 0;
  }

  #foldAccepted(): void {
    if (this.#accepted === 0) return;
    this.chat.inc({ result: 'accepted', reason: '' }, this.#accepted);
    this.#accepted = 0;
  }

  readonly chatAccept = new FixedHistogram(
    'roar_chat_accept_seconds',
    'From a chat frame read to its reply (ack or error), by result (accepted, held, rejected)',
    LATENCY_BUCKETS_S,
    this.registry,
    { name: 'result', values: ['accepted', 'held', 'rejected'] as const },
  );
  readonly deliveryLag = new FixedHistogram(
    'roar_delivery_lag_seconds',
    'From a chat message accepted (on any gateway) to its batch written to every socket here; the oldest message of each batch',
    REACH_BUCKETS_S,
    this.registry,
  );
  readonly fanoutWrite = new FixedHistogram(
    'roar_fanout_write_seconds',
    "From a batch taken to its frame written to every socket of its stream here (every slice): what one frame's fanout takes; above the tick, news waits and is merged",
    REACH_BUCKETS_S,
    this.registry,
  );
  readonly latestReach = new FixedHistogram(
    'roar_fanout_latest_seconds',
    "From a latest value's arrival here (live state, poll results, Q&A board, count, reaction burst) to every slice of its stream written with it or a newer one, by slot",
    REACH_BUCKETS_S,
    this.registry,
    { name: 'slot', values: SLOT_LABELS },
  );
  /** A latest value of `key` reached every slice `ms` after its arrival (by slot; else other). */
  readonly latestReached = (ms: number, key: string): void => {
    const slot = (SLOT_LABELS as readonly string[]).indexOf(key);
    this.latestReach.observe(Math.max(0, ms) / 1000, slot >= 0 ? slot : SLOT_LABELS.length - 1);
  };
  readonly storeConnected = new Gauge({
    name: 'roar_store_connected',
    help: '1 while the store (Redis) is reachable; always 1 for the in-memory store',
    registers: [this.registry],
  });

  /**
   * `loopDelay`: how late the gateway's beat came (`Beat.delays`), served as
   * `nodejs_eventloop_lag_*` (none recorded without it: the lag series read 0).
   */
  constructor(labels: Record<string, string> = {}, loopDelay: LoopDelay = createHistogram()) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: NEVER_MS });
    replaceLoopLag(this.registry, loopDelay);
  }
}
