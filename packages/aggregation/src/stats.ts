/**
 * Counters for metrics export. Counters only grow; `streams` and `gateways` are gauges refreshed
 * on every tick.
 */
export interface AggregatorStats {
  /** Gateway reports accepted for processing (after decoding). */
  reports: number;
  /** (gateway, stream) counts applied to the sums. */
  entries: number;
  /** Chat messages the gateways reported accepting, summed over the reports applied. */
  chatMessages: number;
  /** Report or reaction payloads that could not be decoded; dropped. */
  decodeErrors: number;
  /** Reports whose counts did not match their stream list, or reaction counts out of range. */
  badReports: number;
  /** Reports with a seq not newer than the last one seen from that gateway; dropped. */
  staleReports: number;
  /** Reports whose dict version was unknown and carried no list: liveness kept, counts skipped. */
  unknownDict: number;
  /** Gateways whose seq went back far enough to mean a restart: old counts replaced at once. */
  gatewayRestarts: number;
  /** Gateways dropped for silence. */
  expiredGateways: number;
  /** Gateways dropped because they said goodbye. */
  byes: number;
  /** Viewers events published. */
  publishes: number;
  /** Publishes the bus refused (closed bus). */
  publishErrors: number;
  /** Reaction reports received. */
  reactionReports: number;
  /** Reactions events published: one per stream per window. */
  reactionBursts: number;
  /** Reaction entries dropped because a window already held too many streams or emoji. */
  reactionsDropped: number;
  /** Viewer identities received for the unique counter. */
  uniqueIds: number;
  /** Identities dropped because the store fell too far behind. */
  uniqueIdsDropped: number;
  /** Store writes refused by the fence: a later lease epoch had written the stream's figures. */
  fencedWrites: number;
  /** Pauses of this process detected between ticks (see `stallMs`). */
  stalls: number;
  /** Unchanged streams published again so gateways know the owner is alive. */
  refreshes: number;
  /** Store calls that failed (each one, not each batch). */
  storeErrors: number;
  /** Unexpected errors inside a bus handler; the message was dropped. */
  handlerErrors: number;
  /** Streams freed after sitting at zero. */
  forgottenStreams: number;
  /** Gauge: streams held over all owned partitions. */
  streams: number;
  /** Gauge: live (gateway, partition) pairs over all owned partitions. */
  gateways: number;
}

export function createStats(): AggregatorStats {
  return {
    reports: 0,
    entries: 0,
    chatMessages: 0,
    decodeErrors: 0,
    badReports: 0,
    staleReports: 0,
    unknownDict: 0,
    gatewayRestarts: 0,
    expiredGateways: 0,
    byes: 0,
    publishes: 0,
    publishErrors: 0,
    reactionReports: 0,
    reactionBursts: 0,
    reactionsDropped: 0,
    uniqueIds: 0,
    uniqueIdsDropped: 0,
    fencedWrites: 0,
    stalls: 0,
    refreshes: 0,
    storeErrors: 0,
    handlerErrors: 0,
    forgottenStreams: 0,
    streams: 0,
    gateways: 0,
  };
}
