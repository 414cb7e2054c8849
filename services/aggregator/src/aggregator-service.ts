import { Aggregator, ChatRelay, PartitionLeaser } from '@roar/aggregation';
import { connectNatsBus, Subjects, type NatsBus } from '@roar/bus';
import { REPORT_LIST_EVERY } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { openEventLog, registerLogMetrics, type EventLog } from '@roar/log';
import { createRedisStore, type RedisStore } from '@roar/store';
import type { AggregatorConfig } from './config.js';
import { throttledErrorLog } from './error-log.js';
import { startProbeServer } from './http.js';
import { AggregatorMetrics, type ServiceStatus } from './metrics.js';
import { StickyLeases } from './sticky-leases.js';

/** How long start-up waits for Redis before counting without it. */
const REDIS_READY_TIMEOUT_MS = 2000;

/** A running aggregator service. */
export interface AggregatorService {
  readonly id: string;
  /** The port of /healthz, /readyz and /metrics. */
  readonly port: number;
  /**
   * Gives up every partition (so a standby takes over on its next lease round rather than at
   * lease expiry), then closes NATS, Redis and the HTTP server. Idempotent.
   */
  stop(): Promise<void>;
}

interface Parts {
  bus: NatsBus;
  store: RedisStore;
  aggregator: Aggregator;
  leases: StickyLeases;
  leaser: PartitionLeaser;
  eventLog: EventLog | undefined;
  relay: ChatRelay | undefined;
}

/**
 * Starts an aggregator: the HTTP endpoints first (so liveness holds while NATS is still out of
 * reach), then NATS (waiting for as long as it takes), Redis (waiting briefly, then counting
 * without it), and the partition leases. Resolves once it is taking part in lease rounds.
 *
 * Guarantees, beyond those of `Aggregator` and `PartitionLeaser`:
 * - a partition is consumed and published here only while its lease is held, or while Redis is
 *   unreachable under the rules of `StickyLeases` (Redis down must not stop the count);
 * - neither Redis being down nor NATS restarting needs a restart of the service: both clients
 *   reconnect by themselves and the subscriptions come back with the NATS connection;
 * - after a NATS reconnect every owned partition goes through the warm-up again and then
 *   publishes every stream once, so no sum missing a returning gateway, and no total lost during
 *   the outage, is left standing.
 */
export async function startAggregatorService(
  config: AggregatorConfig,
  log: Logger,
): Promise<AggregatorService> {
  let parts: Parts | undefined;
  let stopping: Promise<void> | undefined;
  const status = (): ServiceStatus => ({
    aggregator: parts?.aggregator.stats,
    leaser: parts?.leaser.stats,
    leases: parts?.leases.stats,
    relay: parts?.relay?.stats,
    owned: parts?.aggregator.partitions ?? [],
    nats: parts?.bus.connected ?? false,
    redis: parts?.store.connected ?? false,
  });
  const metrics = new AggregatorMetrics(
    status,
    { aggregator: config.aggregatorId },
    config.partitions,
  );
  const http = await startProbeServer({
    host: config.host,
    port: config.port,
    status,
    stopping: () => stopping !== undefined,
    registry: metrics.registry,
    onError: (error) => log.error('http handler failed', { error }),
  });
  log.info('aggregator listening', {
    id: config.aggregatorId,
    host: config.host,
    port: http.port,
    partitions: config.partitions,
    maxPartitions: config.maxPartitions,
  });
  try {
    parts = await startParts(config, log, (ms) => metrics.publishLag.observe(ms / 1000));
    if (parts.eventLog) registerLogMetrics(metrics.registry, parts.eventLog);
  } catch (error) {
    await http.close();
    throw error;
  }
  const running = parts;

  async function shutdown(): Promise<void> {
    const { aggregator, leaser, bus, store, eventLog, relay } = running;
    await inOrder([
      // One last tick starts the store writes queued since the previous one (identities that
      // just arrived); the store's QUIT below waits for their replies.
      () => aggregator.tick(),
      () => leaser.stop(),
      () => relay?.stop(),
      () => aggregator.stop(),
      () => eventLog?.close(),
      () => bus.close(),
      () => store.close(),
      () => http.close(),
    ]);
  }

  return {
    id: config.aggregatorId,
    port: http.port,
    stop() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}

async function startParts(
  config: AggregatorConfig,
  log: Logger,
  onPublished: (lagMs: number) => void,
): Promise<Parts> {
  const bus = await connectNatsBus({ servers: config.natsUrl, name: config.aggregatorId });
  bus.onStatus((s) => {
    if (s.type === 'disconnected') log.warn('nats disconnected', { reason: s.reason });
    else if (s.type === 'reconnected') log.info('nats reconnected');
  });
  bus.onError = (error, subject) => log.error('bus handler failed', { subject, error });

  try {
    return await startOnBus(config, log, bus, onPublished);
  } catch (error) {
    await bus.close();
    throw error;
  }
}

async function startOnBus(
  config: AggregatorConfig,
  log: Logger,
  bus: NatsBus,
  onPublished: (lagMs: number) => void,
): Promise<Parts> {
  const leaseTtlMs = config.leaseTtlMs;
  const store = createRedisStore({
    url: config.redisUrl,
    prefix: config.prefix,
    // The aggregator writes no chat history; the store requires a capacity all the same.
    historyCapacity: 1,
    streamStateTtlSeconds: config.streamStateTtlS,
    // A lease renewal sent every ttl/3 must be answered (or fail) before the leaser's deadline of
    // 2/3 ttl, or a slow Redis would make it drop and retake partitions.
    commandTimeoutMs: Math.max(50, Math.min(1000, Math.floor(leaseTtlMs / 3))),
    onConnectionError: (error) => log.warn('redis unreachable, retrying', { error }),
  });
  const reached = await store.ready(REDIS_READY_TIMEOUT_MS).then(
    () => true,
    (error: unknown) => {
      log.warn('redis unreachable at start: counting without uniques, peaks or leases', { error });
      return false;
    },
  );

  // Reaction bursts and viewer samples go to the durable log (JetStream) when it is on.
  const eventLog = await openEventLog(config.eventLog, {
    servers: config.natsUrl.split(','),
    prefix: config.prefix,
    name: `${config.aggregatorId}-log`,
  });
  const aggregator = new Aggregator({
    bus,
    store,
    eventLog,
    sampleIntervalMs: config.eventLog.sampleIntervalMs,
    subjects: new Subjects(config.prefix),
    partitions: config.partitions,
    reportIntervalMs: config.reportIntervalMs,
    expiryIntervals: config.expiryIntervals,
    publishIntervalMs: config.countIntervalMs,
    reactionWindowMs: config.reactionWindowMs,
    // Until every gateway's stream list has come by, a sum may miss whole gateways. The
    // aggregation default (expiryIntervals report intervals) is exactly one list period at the
    // default of 3, with no room for timer drift; half an interval more gives it that room.
    warmupMs: (Math.max(config.expiryIntervals, REPORT_LIST_EVERY) + 0.5) * config.reportIntervalMs,
    // A tick longer than the publish interval or the reaction window would stretch them.
    tickMs: Math.min(50, config.countIntervalMs, config.reactionWindowMs),
    // A pause longer than a renewal period may have cost the lease: hold until it is confirmed.
    stallMs: Math.max(config.reportIntervalMs, leaseTtlMs / 3),
    onError: throttledErrorLog(log, 'aggregator error (counted, counting goes on)'),
    onPublished,
  });
  bus.onStatus((s) => {
    if (s.type !== 'reconnected') return;
    // Reports were lost while NATS was away, and so were totals published then; gateways that
    // expired meanwhile come back one stream list at a time, and a sum published before the last
    // of them would be short. Owning the partitions afresh re-runs the warm-up, then publishes
    // every stream once.
    for (const p of aggregator.partitions) {
      const epoch = aggregator.epochOf(p) ?? 0;
      aggregator.disown(p);
      aggregator.own(p, epoch);
    }
    log.info('partitions re-learnt after the NATS reconnect', { owned: aggregator.partitions });
  });
  // Sampling at the source (docs/architecture.md): the partition's owner relays its chat.
  const relay = config.chatRelay
    ? new ChatRelay({
        bus,
        subjects: new Subjects(config.prefix),
        ratePerS: config.chatRelayRatePerS,
        maxAgeMs: config.chatRelayTimeoutMs,
      })
    : undefined;
  const leases = new StickyLeases(store.leases, reached);
  const leaser = new PartitionLeaser({
    leases,
    owner: config.aggregatorId,
    partitions: config.partitions,
    maxPartitions: config.maxPartitions,
    ttlMs: leaseTtlMs,
    onAcquire: (partition, epoch) => {
      aggregator.own(partition, epoch);
      relay?.own(partition, epoch);
      log.info('partition acquired', { partition, epoch });
    },
    onRenew: (partition, epoch) => aggregator.confirm(partition, epoch),
    onLose: (partition) => {
      aggregator.disown(partition);
      relay?.disown(partition);
      log.info('partition released', { partition });
    },
    onError: throttledErrorLog(log, 'partition lease error'),
  });
  aggregator.start();
  relay?.start();
  leaser.start();
  return { bus, store, aggregator, leases, leaser, eventLog, relay };
}

/**
 * Runs every step even when one fails (a later one may still free a port or a lease), then
 * rejects with the first failure.
 */
async function inOrder(steps: (() => unknown)[]): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
