import { registerLogMetrics, type EventLog } from '@roar/log';
import type { Logger } from '@roar/runtime';
import { Counter, type Registry } from 'prom-client';
import type { Route } from '../base/http.js';
import { BucketCache } from './buckets.js';
import { RemovalIndex } from './removals.js';
import { replayRoutes } from './replay-routes.js';
import { StreamLog } from './stream-log.js';

export { REPLAY_BUCKET_MS } from './buckets.js';
export { StreamLog } from './stream-log.js';

export interface ReplayDeps {
  eventLog: EventLog;
  registry: Registry;
  log: Logger;
  now: () => number;
}

/**
 * The durable log on a gateway: what it appends (`streamLog`, handed to chat, holds and the
 * moderation service), the log's metrics, and the replay endpoints over it.
 */
export class Replay {
  readonly streamLog: StreamLog;
  readonly routes: Route[];
  readonly buckets: BucketCache;

  constructor(d: ReplayDeps) {
    this.streamLog = new StreamLog(d.eventLog);
    registerLogMetrics(d.registry, d.eventLog);
    const buckets = (this.buckets = new BucketCache({ log: d.eventLog, now: d.now }));
    let seen = 0;
    new Counter({
      name: 'roar_replay_bucket_reads_total',
      help: 'Replay buckets read from the event log (once per bucket per gateway, however many ask)',
      registers: [d.registry],
      collect() {
        this.inc(buckets.reads - seen);
        seen = buckets.reads;
      },
    });
    const removals = new RemovalIndex({ log: d.eventLog, now: d.now });
    this.routes = replayRoutes({ buckets: this.buckets, removals, log: d.log });
  }
}
