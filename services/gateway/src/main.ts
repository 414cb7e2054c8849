#!/usr/bin/env node
import { connectNatsBus } from '@roar/bus';
import { ConfigError, Logger, onShutdownSignal } from '@roar/runtime';
import { createRedisStore } from '@roar/store';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { startEmbedded } from './embedded.js';
import { Gateway } from './gateway.js';

async function startDistributed(config: GatewayConfig, log: Logger): Promise<() => Promise<void>> {
  const bus = await connectNatsBus({ servers: config.natsUrl, name: config.gatewayId });
  const store = createRedisStore({
    url: config.redisUrl,
    prefix: config.prefix,
    historyCapacity: config.historyCapacity,
  });
  const gateway = await Gateway.start({ config, bus, store, log });
  return async () => {
    await gateway.stop();
    await bus.close();
    await store.close();
  };
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
  const log = new Logger(config.logLevel, { service: 'gateway', gateway: config.gatewayId });
  let stop: () => Promise<void>;
  if (config.mode === 'embedded') {
    const embedded = await startEmbedded(config, log);
    if (embedded.devSecret) log.warn('dev login is on: anyone can mint tokens at POST /dev/token');
    log.info(`Roar is running: open http://${config.host}:${embedded.gateway.port}/`);
    stop = embedded.stop;
  } else {
    stop = await startDistributed(config, log);
  }
  onShutdownSignal(stop, log);
}

main().catch((error: unknown) => {
  console.error('roar: failed to start', error);
  process.exit(1);
});
