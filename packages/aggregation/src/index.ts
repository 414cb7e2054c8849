export { Aggregator } from './aggregator.js';
export type { AggregatorOptions } from './options.js';
export type { AggregatorStats } from './stats.js';
export type { StreamSnapshot } from './partition.js';
export {
  PartitionLeaser,
  partitionLeaseName,
  type PartitionLeaserOptions,
  type PartitionLeaserStats,
} from './partition-leaser.js';
export {
  ChatRelay,
  decodeEpoch,
  encodeEpoch,
  type ChatRelayOptions,
  type ChatRelayStats,
} from './relay/chat-relay.js';
