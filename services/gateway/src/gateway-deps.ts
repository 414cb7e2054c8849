import type { Bus } from '@roar/bus';
import type { EventLog } from '@roar/log';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import type { Beat } from './base/beat.js';
import type { GatewayConfig } from './base/config.js';

/** What a gateway is built from; whoever starts it owns (and closes) the bus, store and log. */
export interface GatewayDeps {
  config: GatewayConfig;
  bus: Bus;
  store: Store;
  log: Logger;
  /** The durable event log (chat, moderation) behind replay; none when it is off. */
  eventLog?: EventLog | undefined;
  /** A secret made at start for dev login to sign with (embedded mode only; `devLoginSecret`). */
  devSecret?: string;
  /** Serves /metrics for every worker of the process (multi-core mode). */
  clusterMetrics?: () => Promise<{ text: string; contentType: string }>;
  now?: () => number;
  /**
   * The beat to run the gateway's periodic work on, shared with other work of the process (the
   * embedded aggregator's tick) so one wake-up serves both; the gateway stops it at `stop()`.
   * Default: a beat of its own.
   */
  beat?: Beat;
}
