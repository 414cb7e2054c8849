#!/usr/bin/env node
import { connectNatsBus } from '@roar/bus';
import { ConfigError, Logger, onShutdownSignal } from '@roar/runtime';
import { openEventLog } from '@roar/log';
import { createRedisStore } from '@roar/store';
import { isMainThread, workerData } from 'node:worker_threads';
import { loadGatewayConfig, type GatewayConfig } from './base/config.js';
import { startEmbedded } from './embedded.js';
import { Gateway } from './gateway.js';
import { WorkerLink, WorkerSupervisor } from './workers.js';

/**
 * One gateway shard over NATS and Redis. In a worker thread, the supervisor tells it to stop and
 * serves /metrics for all workers.
 */
async function startShard(
  config: GatewayConfig,
  log: Logger,
  inWorker: boolean,
): Promise<() => Promise<void>> {
  const bus = await connectNatsBus({ servers: config.natsUrl.split(','), name: config.gatewayId });
  const store = createRedisStore({
    url: config.redisUrl,
    prefix: config.prefix,
    historyCapacity: config.historyCapacity,
    streamStateTtlSeconds: config.streamStateTtlS,
  });
  const eventLog = await openEventLog(config.eventLog, {
    servers: config.natsUrl.split(','),
    prefix: config.prefix,
    name: `${config.gatewayId}-log`,
  });
  let link: WorkerLink | undefined;
  const gateway = await Gateway.start({
    config,
    bus,
    store,
    log,
    eventLog,
    ...(inWorker ? { clusterMetrics: () => (link as WorkerLink).clusterMetrics() } : {}),
  });
  const stop = async (): Promise<void> => {
    await gateway.stop();
    // What is still queued for the log goes out (bounded by its queue age), then the rest.
    await eventLog?.close();
    await bus.close();
    await store.close();
  };
  if (inWorker) link = new WorkerLink(stop, () => gateway.metrics.registry.getMetricsAsJSON());
  return stop;
}

/** The drain window plus time to flush history and say goodbye to the aggregator. */
function shutdownBudgetMs(config: GatewayConfig): number {
  return config.drainWindowMs + 20_000;
}

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`roar: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (!isMainThread) {
    const index = (workerData as { index: number }).index;
    config = { ...config, gatewayId: `${config.gatewayId}-${index}` };
    const log = new Logger(config.logLevel, {
      service: 'gateway',
      gateway: config.gatewayId,
      worker: index,
    });
    await startShard(config, log, true);
    return;
  }
  const log = new Logger(config.logLevel, { service: 'gateway', gateway: config.gatewayId });
  if (config.mode === 'embedded') {
    const embedded = await startEmbedded(config, log);
    log.info(`Roar is running: open http://${config.host}:${embedded.gateway.port}/`);
    onShutdownSignal(embedded.stop, log, shutdownBudgetMs(config));
  } else if (config.workers > 1) {
    const supervisor = new WorkerSupervisor({
      script: new URL(import.meta.url),
      workers: config.workers,
      log,
    });
    log.info('gateway workers started', { workers: supervisor.size });
    onShutdownSignal(() => supervisor.stop(), log, shutdownBudgetMs(config));
  } else {
    onShutdownSignal(await startShard(config, log, false), log, shutdownBudgetMs(config));
  }
}

main().catch((error: unknown) => {
  console.error('roar: failed to start', error);
  process.exit(1);
});
