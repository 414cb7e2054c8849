#!/usr/bin/env node
import { connect } from '@nats-io/transport-node';
import { ConfigError, Logger, onShutdownSignal } from '@roar/runtime';
import { loadWebhooksConfig, type WebhooksConfig } from './config.js';
import { JetStreamDeadLetterJournal, JetStreamFeed, WebhookService } from '@roar/webhooks';

async function main(): Promise<void> {
  let config: WebhooksConfig;
  try {
    config = loadWebhooksConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`roar-webhooks: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const log = new Logger(config.logLevel, { service: 'webhooks' });
  if (config.endpoints.length === 0) log.warn('no endpoints in ROAR_WEBHOOK_ENDPOINTS');
  // Its own connection: fetches that wait for events must not queue behind anything else.
  const nc = await connect({
    servers: config.natsUrl.split(','),
    name: 'roar-webhooks',
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  // For /readyz: nats.js tells the connection's changes, not its state.
  let natsConnected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') natsConnected = false;
      else if (s.type === 'reconnect') natsConnected = true;
    }
  })();
  // Dead letters outlive this process in a JetStream stream of the deployment's own.
  const deadLetterJournal = await JetStreamDeadLetterJournal.open({
    nc,
    prefix: config.prefix,
    replicas: config.deadLetterReplicas,
  });
  const service = await WebhookService.start({
    ...config,
    deadLetterJournal,
    natsConnected: () => natsConnected,
    feed: (endpoint) =>
      new JetStreamFeed({
        nc,
        prefix: config.prefix,
        endpoint: endpoint.id,
        types: endpoint.events,
        ackWaitMs: config.ackWaitMs,
      }),
    log,
  });
  log.info('webhooks listening', {
    host: config.host,
    port: service.port,
    endpoints: config.endpoints.length,
  });
  onShutdownSignal(async () => {
    await service.stop();
    await nc.drain();
  }, log);
}

main().catch((error: unknown) => {
  console.error('roar-webhooks: failed to start', error);
  process.exit(1);
});
