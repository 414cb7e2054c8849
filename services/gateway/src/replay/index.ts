import { registerLogMetrics, type EventLog } from '@roar/log';
import type { Logger } from '@roar/runtime';
import { Counter, type Registry } from 'prom-client';
import type { Authenticator } from '../base/auth.js';
import type { Route } from '../base/http.js';
import type { BackendHooks } from '../hooks/index.js';
import { BucketCache } from './buckets.js';
import { RemovalIndex } from './removals.js';
import { ReplayAccess, type ReplayAccessOptions } from './replay-access.js';
import { replayRoutes } from './replay-routes.js';
import { StreamLog } from './stream-log.js';

export { REPLAY_BUCKET_MS } from './buckets.js';
export { StreamLog } from './stream-log.js';
export type { ReplayAccessOptions } from './replay-access.js';

export interface ReplayDeps {
  eventLog: EventLog;
  registry: Registry;
  log: Logger;
  now: () => number;
  /** Replay behind the join hook, when it is on (`ROAR_HOOK_JOIN_URL`). */
  access: ReplayAccessOptions | undefined;
}

/**
 * The durable log on a gateway: what it appends (`streamLog`, handed to chat, holds and the
 * moderation service), the log's metrics, and the replay endpoints over it.
 */
export class Replay {
  readonly streamLog: StreamLog;
  readonly routes: Route[];
  readonly buckets: BucketCache;

  /** The replay of `eventLog`, gated by the join hook when it is on; undefined without a log. */
  static open(
    d: Omit<ReplayDeps, 'eventLog' | 'access'> & {
      eventLog?: EventLog | undefined;
      config: { allowAnonymous: boolean };
    },
    hooks: BackendHooks,
    auth: Authenticator,
  ): Replay | undefined {
    if (!d.eventLog) return undefined;
    const access = replayAccess(hooks, auth, d.config.allowAnonymous);
    return new Replay({ ...d, eventLog: d.eventLog, access });
  }

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
    const access = d.access && new ReplayAccess(d.access);
    this.routes = replayRoutes({ buckets: this.buckets, removals, log: d.log, access });
  }
}

/** The replay gate's parts when the join hook is on; undefined (replay public) when it is off. */
export function replayAccess(
  hooks: BackendHooks,
  auth: Authenticator,
  allowAnonymous: boolean,
): ReplayAccessOptions | undefined {
  if (!hooks.join) return undefined;
  const jwt = auth.algorithms.length > 0;
  return { join: hooks.join, connect: hooks.connect, auth, jwt, allowAnonymous };
}
