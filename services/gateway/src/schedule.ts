import { TOTALS_STALE_INTERVALS } from '@roar/protocol';
import type { Bus } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import type { Beat } from './base/beat.js';
import type { GatewayConfig } from './base/config.js';
import type { GatewayMetrics } from './base/metrics.js';
import type { StallWatch } from './base/stall-watch.js';
import type { ConnectionHandler } from './connection/connection-handler.js';
import type { IdentityWriter } from './counts/identity-writer.js';
import type { Reporter } from './counts/reporter.js';
import type { LoadControl } from './load/load-control.js';
import { SWEEP_EVERY_MS } from './load/slow-clients.js';
import type { Fanout } from './streams/fanout.js';
import type { HistoryWriter } from './streams/history-writer.js';
import type { OwnMessages } from './streams/own-messages.js';
import type { StreamRegistry } from './streams/stream-registry.js';

/** The stall watch's beat (see `StallWatch`). */
export const STALL_BEAT_MS = 100;
/**
 * A beat this late counts as a stall; a stall's backlog is forgiven by the chat rate limit for
 * `graceMs` after it ends.
 */
export const STALLS = { thresholdMs: 1000, graceMs: 2000 };

/** The parts of a gateway that have periodic work. */
export interface Work {
  config: Pick<
    GatewayConfig,
    'tickMs' | 'reportIntervalMs' | 'countIntervalMs' | 'reactionWindowMs'
  >;
  now: () => number;
  log: Logger;
  metrics: GatewayMetrics;
  store: Store;
  fanout: Fanout;
  history: HistoryWriter;
  identities: IdentityWriter;
  reporter: Reporter;
  registry: StreamRegistry;
  stalls: StallWatch;
  load: LoadControl;
  connections: ConnectionHandler;
  own: OwnMessages;
}

/**
 * A gateway's periodic work, all in one place and on one beat (see `Beat`): the fanout tick,
 * reports, recovery and staleness, the stall watch, load sampling, and sweeps of per-user state.
 * The fanout tick runs only while there is news: a stream with events or a latest value waiting
 * (the fanout wakes the beat from `markDirty`), or history to write (the writer wakes it from
 * `add`); a gateway whose viewers only watch does not wake for it.
 */
export function scheduleWork(beat: Beat, w: Work): void {
  const { config, now, log, store, own } = w;
  tickWhileNews(beat, w);
  beat.every(config.reportIntervalMs, () => {
    const t = now();
    w.identities.flush(w.registry.values());
    w.reporter.reportCounts(w.registry.values(), t);
    w.registry.sweep(t);
    w.registry.recover(t);
    w.registry.markStale(t, TOTALS_STALE_INTERVALS * config.countIntervalMs);
    w.metrics.streams.set(w.registry.size);
    w.metrics.storeConnected.set(isReachable(store) && !store.connected ? 0 : 1);
  });
  // Counts that moved (viewers leaving a draining gateway, arriving after a crash) are
  // reported within a tenth of an interval, on both sides of the move.
  const earlyGapMs = Math.max(50, Math.floor(config.reportIntervalMs / 10));
  beat.every(earlyGapMs, () => {
    const sent = w.reporter.reportChanged(w.registry.values(), now(), earlyGapMs);
    if (sent > 0) w.metrics.earlyReports.inc(sent);
  });
  for (const f of w.connections.features.features)
    if (f.report && f.reportEveryMs)
      beat.every(f.reportEveryMs, () => f.report?.(w.registry.values(), now()));
  beat.every(STALL_BEAT_MS, () => {
    const stall = w.stalls.beat(now());
    if (stall) {
      w.metrics.loopStalls.inc();
      log.warn('event loop stalled', { ms: stall.to - stall.from });
    }
  });
  beat.every(SWEEP_EVERY_MS, () => w.load.sweepSlowClients());
  beat.every(500, () => w.load.samplePressure());
  beat.every(10_000, () => {
    const t = now();
    w.connections.features.sweep(t);
    for (const state of w.registry.values()) state.mod.sweep(t);
    own.sweep(t, 10_000);
  });
}

/**
 * The fanout tick, with the history flush: every `tickMs` while a stream has news or history has
 * entries to write (or a write in flight, whose failure puts them back); the fanout's `onNews`
 * and the writer's `onAdd` wake it (`Beat.wake`). News goes out within one tick of its arrival.
 */
export function tickWhileNews(
  beat: Beat,
  w: Pick<Work, 'now' | 'fanout'> & { config: Pick<Work['config'], 'tickMs'> } & {
    history: Pick<HistoryWriter, 'flush' | 'busy'>;
  },
): void {
  beat.whileNews(w.config.tickMs, () => {
    w.fanout.flush(w.now());
    w.history.flush();
    return w.fanout.hasNews || w.history.busy;
  });
}

/** Keeps `roar_bus_connected` and `roar_store_connected` current from the start, and logs bus changes. */
export function watchConnections(
  bus: Bus,
  store: Store,
  metrics: GatewayMetrics,
  log: Logger,
): void {
  metrics.busConnected.set(bus.connected ? 1 : 0);
  metrics.storeConnected.set(isReachable(store) && !store.connected ? 0 : 1);
  bus.onStatus((status) => {
    metrics.busConnected.set(status.type === 'reconnected' ? 1 : 0);
    log.info('bus status', { status: status.type });
  });
}

/** Stores that can tell whether their server answers (Redis); the memory store always does. */
export function isReachable(store: object): store is { readonly connected: boolean } {
  return typeof (store as { connected?: unknown }).connected === 'boolean';
}
