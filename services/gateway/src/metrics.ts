import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
  });
  readonly framesOut = new Counter({
    name: 'roar_frames_out_total',
    help: 'Frames written to clients (a batch published to n viewers counts n)',
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'roar_batches_total',
    help: 'Batch frames encoded (once per stream per tick per codec set)',
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
  });
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
    help: 'Chat messages that could not be written to the store (missing from history, delivered live)',
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

  constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    // Includes nodejs_eventloop_lag_{p50,p90,p99,max}_seconds, measured by monitorEventLoopDelay.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }
}
