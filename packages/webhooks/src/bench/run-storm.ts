import { connect } from '@nats-io/transport-node';
import { connectJetStreamLog, MemoryLog } from '@roar/log';
import { JetStreamFeed } from '../jetstream-feed.js';
import { LogFeed } from '../log-feed.js';
import { measureStorm, type StormOptions } from './storm.js';

/**
 * The storm over both logs: the memory log, and — with `natsUrl` (a JetStream-enabled server) —
 * the JetStream log with the endpoint's durable consumer, as deployed.
 * Run: `node packages/webhooks/dist/bench/run-storm.js [nats://127.0.0.1:4222]`.
 */
export async function runStorms(o: StormOptions, natsUrl?: string) {
  const memory = new MemoryLog();
  const results: Record<string, unknown> = {
    memory: await measureStorm(o, memory, (e) => new LogFeed(memory, e.events)),
  };
  if (natsUrl) {
    const prefix = `bench${Date.now().toString(36)}`;
    const log = await connectJetStreamLog({ servers: natsUrl, prefix });
    const nc = await connect({ servers: natsUrl });
    try {
      results.jetstream = await measureStorm(o, log, (e) => {
        return new JetStreamFeed({
          nc,
          prefix,
          endpoint: e.id,
          types: e.events,
          ackWaitMs: 600_000,
        });
      });
    } finally {
      await nc.close();
      await log.close();
    }
  }
  return results;
}

export const DEFAULT_STORM: StormOptions = {
  ratePerS: 5000,
  seconds: 5,
  streams: 50,
  receiverLatencyMs: 20,
  dispatch: {
    maxBatch: 500,
    waitMs: 1000,
    minIntervalMs: 100,
    timeoutMs: 10_000,
    maxAttempts: 8,
    backoffBaseMs: 1000,
    backoffMaxMs: 60_000,
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runStorms(DEFAULT_STORM, process.argv[2]), null, 2));
  process.exit(0);
}
