// Runs the backend-hook and webhook benches (the built dist of services/gateway and
// services/webhooks) in a process of their own and sends the result to the orchestrator.
import { measureJoinToss } from '../../../services/gateway/dist/bench/join-toss.js';
import { runStorms } from '../../../packages/webhooks/dist/bench/run-storm.js';
import { NatsServer } from '../../../packages/testkit/dist/index.js';

const { kind, cfg } = JSON.parse(process.argv[2] ?? '{}');
let result;
if (kind === 'hooks') {
  result = [];
  for (const viewers of cfg.viewers) result.push(await measureJoinToss({ ...cfg, viewers }));
} else {
  // A JetStream-enabled nats-server on a free loopback port, for the deployed path.
  const nats = await NatsServer.start({ jetstream: true });
  try {
    result = await runStorms(cfg, nats.url);
  } finally {
    await nats[Symbol.asyncDispose]();
  }
}
process.send(result, () => process.exit(0));
