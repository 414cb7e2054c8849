import type { AggregatorStats, ChatRelayStats, PartitionLeaserStats } from '@roar/aggregation';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StickyLeasesStats } from './sticky-leases.js';

/** What the service is doing now; read at every scrape and by /readyz. */
export interface ServiceStatus {
  /** Undefined until the service has connected and built its parts. */
  aggregator: AggregatorStats | undefined;
  leaser: PartitionLeaserStats | undefined;
  leases: StickyLeasesStats | undefined;
  /** Undefined unless the chat relay runs (`ROAR_CHAT_RELAY`). */
  relay?: ChatRelayStats | undefined;
  /** Partitions this instance consumes and publishes, ascending. */
  owned: number[];
  nats: boolean;
  redis: boolean;
}

type CounterSpec<K extends string> = readonly [key: K, name: string, help: string];

const AGGREGATOR_COUNTERS: readonly CounterSpec<keyof AggregatorStats>[] = [
  ['reports', 'roar_agg_reports_total', 'Gateway reports accepted'],
  ['entries', 'roar_agg_entries_total', '(gateway, stream) counts applied to the sums'],
  ['decodeErrors', 'roar_agg_decode_errors_total', 'Report payloads that could not be decoded'],
  ['badReports', 'roar_agg_bad_reports_total', 'Reports with inconsistent content, skipped'],
  ['staleReports', 'roar_agg_stale_reports_total', 'Reports older than one already applied'],
  ['unknownDict', 'roar_agg_unknown_dict_total', 'Reports for a stream list not yet received'],
  ['gatewayRestarts', 'roar_agg_gateway_restarts_total', 'Gateways seen restarting'],
  ['expiredGateways', 'roar_agg_expired_gateways_total', 'Gateways dropped for silence'],
  ['byes', 'roar_agg_byes_total', 'Gateways dropped because they said goodbye'],
  ['publishes', 'roar_agg_publishes_total', 'Viewers events published'],
  ['publishErrors', 'roar_agg_publish_errors_total', 'Publishes the bus refused'],
  ['reactionReports', 'roar_agg_reaction_reports_total', 'Reaction reports received'],
  ['reactionBursts', 'roar_agg_reaction_bursts_total', 'Reactions events published'],
  ['reactionsDropped', 'roar_agg_reactions_dropped_total', 'Reaction entries over the limits'],
  ['uniqueIds', 'roar_agg_unique_ids_total', 'Viewer identities received for uniques'],
  ['uniqueIdsDropped', 'roar_agg_unique_ids_dropped_total', 'Identities dropped, store behind'],
  [
    'fencedWrites',
    'roar_agg_fenced_writes_total',
    'Stats writes refused: a later lease epoch wrote',
  ],
  ['stalls', 'roar_agg_stalls_total', 'Pauses of this process detected between ticks'],
  ['refreshes', 'roar_agg_refreshes_total', 'Unchanged streams published again (liveness)'],
  ['storeErrors', 'roar_agg_store_errors_total', 'Store calls that failed (counting went on)'],
  ['handlerErrors', 'roar_agg_handler_errors_total', 'Unexpected errors handling a message'],
  ['forgottenStreams', 'roar_agg_forgotten_streams_total', 'Idle streams freed'],
];

const LEASER_COUNTERS: readonly CounterSpec<keyof PartitionLeaserStats>[] = [
  ['acquired', 'roar_agg_partitions_acquired_total', 'Partition leases taken'],
  ['lost', 'roar_agg_partitions_lost_total', 'Partitions lost or given up'],
  ['errors', 'roar_agg_lease_errors_total', 'Lease calls or lease callbacks that failed'],
];

const RELAY_COUNTERS: readonly CounterSpec<keyof ChatRelayStats>[] = [
  ['received', 'roar_agg_relay_received_total', 'Chat messages gateways sent to the relay'],
  ['forwarded', 'roar_agg_relay_forwarded_total', 'Chat messages forwarded to the gateways'],
  ['sampled', 'roar_agg_relay_sampled_total', 'Chat messages left out over the relay rate'],
  ['late', 'roar_agg_relay_late_total', 'Chat messages dropped after a pause of this process'],
  ['bad', 'roar_agg_relay_bad_total', 'Relay messages that were not chat events'],
];

const LEASES_COUNTERS: readonly CounterSpec<keyof StickyLeasesStats>[] = [
  ['unreachable', 'roar_agg_lease_store_unreachable_total', 'Lease calls the store did not answer'],
  ['keptThroughOutage', 'roar_agg_leases_kept_total', 'Leases kept while the store was down'],
  ['claimedBlind', 'roar_agg_leases_claimed_blind_total', 'Leases taken while never reaching it'],
];

/**
 * The aggregator's Prometheus metrics in a registry of its own (tests run several aggregators in
 * one process). Values are read from the stats objects at scrape time, so the hot path pays
 * nothing for them; counters advance by the difference since the previous scrape.
 */
export class AggregatorMetrics {
  readonly registry = new Registry();
  // The operations kit: count publish lag and partition ownership (docs/operations.md).
  readonly publishLag = new Histogram({
    name: 'roar_agg_publish_lag_seconds',
    help: 'From a tick seeing a stream total change to its viewers event published (throttle included)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });

  /** `partitions`: how many partitions the deployment has (ROAR_AGG_PARTITIONS). */
  constructor(status: () => ServiceStatus, labels: Record<string, string> = {}, partitions = 1) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.#counters(AGGREGATOR_COUNTERS, () => status().aggregator);
    this.#counters(LEASER_COUNTERS, () => status().leaser);
    this.#counters(LEASES_COUNTERS, () => status().leases);
    this.#counters(RELAY_COUNTERS, () => status().relay);
    this.#gauge('roar_agg_streams', 'Streams held over owned partitions', () => {
      return status().aggregator?.streams ?? 0;
    });
    this.#gauge('roar_agg_gateways', 'Live (gateway, partition) pairs', () => {
      return status().aggregator?.gateways ?? 0;
    });
    this.#gauge('roar_agg_owned_partitions', 'Partitions consumed and published here', () => {
      return status().owned.length;
    });
    this.#gauge('roar_agg_partitions', 'Partitions the deployment has', () => partitions);
    new Gauge({
      name: 'roar_agg_partition_owned',
      help: '1 for each partition this instance consumes and publishes, 0 for the others',
      labelNames: ['partition'] as const,
      registers: [this.registry],
      collect() {
        const owned = new Set(status().owned);
        for (let p = 0; p < partitions; p++)
          this.set({ partition: String(p) }, owned.has(p) ? 1 : 0);
      },
    });
    this.#gauge('roar_agg_nats_connected', '1 while the NATS connection is up', () => {
      return status().nats ? 1 : 0;
    });
    this.#gauge('roar_agg_redis_connected', '1 while Redis is reachable', () => {
      return status().redis ? 1 : 0;
    });
  }

  #counters<K extends string>(
    specs: readonly CounterSpec<K>[],
    read: () => Readonly<Record<K, number>> | undefined,
  ): void {
    for (const [key, name, help] of specs) {
      let last = 0;
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const value = read()?.[key] ?? 0;
          if (value > last) this.inc(value - last);
          last = Math.max(last, value);
        },
      });
    }
  }

  #gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
