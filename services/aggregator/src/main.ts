#!/usr/bin/env node
import { ConfigError, Logger, onShutdownSignal } from '@roar/runtime';
import { startAggregatorService } from './aggregator-service.js';
import { loadAggregatorConfig, type AggregatorConfig } from './config.js';

async function main(): Promise<void> {
  let config: AggregatorConfig;
  try {
    config = loadAggregatorConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`roar-aggregator: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const log = new Logger(config.logLevel, { service: 'aggregator' });
  // Until this resolves nothing is held (no lease, no partition), so a signal's default of
  // exiting at once is the right answer to it.
  const service = await startAggregatorService(config, log);
  onShutdownSignal(() => service.stop(), log);
}

main().catch((error: unknown) => {
  console.error('roar-aggregator: failed to start', error);
  process.exit(1);
});
