// The brokers of a deployed Roar, started by the bench itself: a nats-server and a redis-server
// on free loopback ports (Redis without persistence), and the aggregator service over them.
// Every phase that runs gateway processes (ROAR_MODE=gateway) starts its cluster here.
import { freePort } from '@roar/testkit';
import { spawnChild } from './proc.mjs';
import { AGGREGATOR_MAIN, startServer } from './servers.mjs';

/**
 * Starts nats-server and redis-server, resolves once both accept. `jetstreamDir` turns JetStream
 * on with its store there; `monitor` opens NATS's HTTP monitoring on a free port (`monitorPort`);
 * `redisArgs` are appended to redis-server's. `env` holds the two URLs for a gateway's or the
 * aggregator's environment. If either fails to start, both are stopped before the error is thrown.
 */
export async function startBrokers({ jetstreamDir, monitor = false, redisArgs = [] } = {}) {
  const natsPort = await freePort();
  const monitorPort = monitor ? await freePort() : undefined;
  const redisPort = await freePort();
  const nats = spawnChild('nats-server', 'nats-server', [
    ...['-a', '127.0.0.1', '-p', String(natsPort)],
    ...(monitorPort === undefined ? [] : ['-m', String(monitorPort)]),
    ...(jetstreamDir === undefined ? [] : ['-js', '-sd', jetstreamDir]),
  ]);
  const redis = spawnChild('redis-server', 'redis-server', [
    ...['--bind', '127.0.0.1', '--port', String(redisPort)],
    ...['--save', '', '--appendonly', 'no'],
    ...redisArgs,
  ]);
  const stop = (signal = 'SIGKILL', graceMs) =>
    Promise.all([nats.stop(signal, graceMs), redis.stop(signal, graceMs)]);
  try {
    await Promise.all([
      nats.waitFor(/Server is ready/),
      redis.waitFor(/Ready to accept connections/),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nats,
    redis,
    natsPort,
    redisPort,
    monitorPort,
    env: {
      ROAR_NATS_URL: `nats://127.0.0.1:${natsPort}`,
      ROAR_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    },
    /** Stops both servers (SIGKILL unless told otherwise). */
    stop,
  };
}

/** Starts the aggregator service with `env` (ROAR_AGG_PORT 0); resolves once it owns its partition. */
export async function startAggregator(env) {
  const aggregator = spawnChild('aggregator', process.execPath, [AGGREGATOR_MAIN], {
    env: { ...env, ROAR_AGG_PORT: '0' },
  });
  try {
    await aggregator.waitFor(/partition acquired/, 20_000);
  } catch (err) {
    await aggregator.stop('SIGKILL');
    throw err;
  }
  return aggregator;
}

/**
 * Starts `count` gateway processes at once, named `${name}${i}`: ROAR_MODE=gateway with one worker
 * each (one core's worth) and no fresh-store grace (a fresh Redis per run: no peer could restore
 * it, so a gateway waiting for one would only refuse the bench's chat for its first seconds).
 * `env` is added on top (the brokers' URLs and a prefix at least).
 */
export function startGateways(count, { name, env, nodeArgs = [] }) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startServer('roar', {
        name: `${name}${i}`,
        nodeArgs,
        env: {
          ROAR_MODE: 'gateway',
          ROAR_WORKERS: '1',
          ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
          ...env,
        },
      }),
    ),
  );
}
