#!/usr/bin/env node
import { connectNatsBus, connectWorkerBus, WorkerBusHost, type Bus } from '@roar/bus';
import { ConfigError, Logger, onShutdownSignal } from '@roar/runtime';
import { openEventLog } from '@roar/log';
import { createRedisStore } from '@roar/store';
import { isMainThread, workerData } from 'node:worker_threads';
import { loadGatewayConfig, type GatewayConfig } from './base/config.js';
import { startEmbedded } from './embedded.js';
import { registerRelayMetrics, withChatRelay } from './relay/with-chat-relay.js';
import { Gateway } from './gateway.js';
import { WorkerLink, WorkerSupervisor, type GatewayWorkerData } from './workers.js';

/**
 * One gateway shard over NATS and Redis. In a worker thread, the supervisor tells it to stop and
 * serves /metrics for all workers.
 */
async function startShard(
  config: GatewayConfig,
  log: Logger,
  inWorker: boolean,
  sharedBus?: Bus,
): Promise<() => Promise<void>> {
  const bus = withChatRelay(sharedBus ?? (await connectNats(config)), config);
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
  registerRelayMetrics(bus, gateway.metrics.registry);
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

function connectNats(config: GatewayConfig): ReturnType<typeof connectNatsBus> {
  return connectNatsBus({ servers: config.natsUrl.split(','), name: config.gatewayId });
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
    const { index, busPort } = workerData as GatewayWorkerData;
    config = { ...config, gatewayId: `${config.gatewayId}-${index}` };
    const log = new Logger(config.logLevel, {
      service: 'gateway',
      gateway: config.gatewayId,
      worker: index,
    });
    await startShard(config, log, true, busPort && (await connectWorkerBus(busPort)));
    return;
  }
  const log = new Logger(config.logLevel, { service: 'gateway', gateway: config.gatewayId });
  if (config.mode === 'embedded') {
    const embedded = await startEmbedded(config, log);
    log.info(`Roar is running: open http://${config.host}:${embedded.gateway.port}/`);
    onShutdownSignal(embedded.stop, log, shutdownBudgetMs(config));
  } else if (config.workers > 1) {
    // The process's one NATS connection, shared by its workers (ROAR_WORKER_BUS=shared).
    const busHost =
      config.workerBus === 'shared' ? new WorkerBusHost(await connectNats(config)) : undefined;
    const supervisor = new WorkerSupervisor({
      script: new URL(import.meta.url),
      workers: config.workers,
      log,
      busHost,
    });
    log.info('gateway workers started', { workers: supervisor.size, bus: config.workerBus });
    onShutdownSignal(
      async () => {
        await supervisor.stop();
        await busHost?.close();
      },
      log,
      shutdownBudgetMs(config),
    );
  } else {
    onShutdownSignal(await startShard(config, log, false), log, shutdownBudgetMs(config));
  }
}

main().catch((error: unknown) => {
  console.error('roar: failed to start', error);
  process.exit(1);
});
