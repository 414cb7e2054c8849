import { Aggregator } from '@roar/aggregation';
import { MemoryBroker, Subjects } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import { openEventLog, type EventLog } from '@roar/log';
import { createMemoryStore } from '@roar/store';
import { LogFeed, MemoryDeadLetterJournal, WebhookService } from '@roar/webhooks';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from './base/config.js';
import { Beat } from './base/beat.js';
import { Gateway } from './gateway.js';

export interface Embedded {
  gateway: Gateway;
  aggregator: Aggregator;
  /** The durable event log, when on (memory by default). */
  eventLog: EventLog | undefined;
  /** The webhook dispatchers, when `ROAR_WEBHOOK_ENDPOINTS` lists any. */
  webhooks: WebhookService | undefined;
  /** The secret dev tokens are signed with (dev login only). */
  devSecret: string | undefined;
  stop(): Promise<void>;
}

/**
 * Roar in one process with no external services: a gateway and the aggregator joined by the
 * in-memory bus, state in the memory store. The gateway reports to the aggregator over the bus
 * exactly as it does to a separate aggregator service.
 */
export async function startEmbedded(config: GatewayConfig, log: Logger): Promise<Embedded> {
  const broker = new MemoryBroker();
  const store = createMemoryStore({ historyCapacity: config.historyCapacity });
  const aggregatorBus = broker.connect();
  // The log is in memory by default here (ROAR_LOG=memory): replay with nothing else running.
  const eventLog = await openEventLog(config.eventLog, {
    servers: config.natsUrl.split(','),
    prefix: config.prefix,
    name: `${config.gatewayId}-log`,
  });
  const aggregator = new Aggregator({
    bus: aggregatorBus,
    store,
    eventLog,
    sampleIntervalMs: config.eventLog.sampleIntervalMs,
    subjects: new Subjects(config.prefix),
    partitions: config.partitions,
    reportIntervalMs: config.reportIntervalMs,
    publishIntervalMs: config.countIntervalMs,
    reactionWindowMs: config.reactionWindowMs,
    // It starts with the only gateway there is: no stream list can be missing.
    warmupMs: 0,
    onError: (error, where) => log.warn('aggregator error', { where, error }),
  });
  for (let p = 0; p < config.partitions; p++) aggregator.own(p);
  // On the gateway's beat rather than a timer of its own: an idle process then wakes once for both.
  const beat = new Beat(log);
  beat.every(aggregator.tickMs, () => aggregator.runTick());
  const devSecret =
    config.devLogin && !config.jwtSecret ? randomBytes(32).toString('base64url') : undefined;
  const gatewayBus = broker.connect();
  const gateway = await Gateway.start({
    config,
    bus: gatewayBus,
    store,
    log,
    eventLog,
    beat,
    ...(devSecret ? { devSecret } : {}),
  });
  // Webhooks read the memory log in-process (the webhook process reads JetStream in a cluster).
  const webhooks =
    eventLog && config.webhooks.endpoints.length > 0
      ? await WebhookService.start({
          ...config.webhooks,
          adminApiKeys: config.adminApiKeys,
          feed: (endpoint) => new LogFeed(eventLog, endpoint.events),
          // The process is the deployment: its dead letters live as long as its memory log.
          deadLetterJournal: new MemoryDeadLetterJournal(),
          log,
        })
      : undefined;
  return {
    gateway,
    aggregator,
    webhooks,
    eventLog,
    devSecret,
    async stop() {
      await gateway.stop();
      await webhooks?.stop();
      aggregator.stop();
      await eventLog?.close();
      await gatewayBus.close();
      await aggregatorBus.close();
      await store.close();
    },
  };
}
