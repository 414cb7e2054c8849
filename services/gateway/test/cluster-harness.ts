import { Aggregator, PartitionLeaser } from '@roar/aggregation';
import { Subjects, connectNatsBus, type NatsBus } from '@roar/bus';
import { silentLogger } from '@roar/runtime';
import { createRedisStore, type RedisStore } from '@roar/store';
import {
  ManagedProcess,
  NatsServer,
  RedisServer,
  TestClient,
  type TestClientOptions,
} from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { loadGatewayConfig } from '../src/base/config.js';
import { Gateway } from '../src/gateway.js';
import { TEST_SECRET, token } from './harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Fast timers for the distributed tests; expiry is 3 report intervals. */
export const REPORT_MS = 150;

/** Where a broker is; a launcher or, for several NATS servers, a comma-separated URL list. */
export type BrokerUrl = Pick<NatsServer | RedisServer, 'url'>;

export function clusterEnv(
  nats: BrokerUrl,
  redis: BrokerUrl,
  prefix: string,
): Record<string, string> {
  return {
    ROAR_MODE: 'gateway',
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ROAR_WORKERS: '1',
    ROAR_NATS_URL: nats.url,
    ROAR_REDIS_URL: redis.url,
    ROAR_PREFIX: prefix,
    ROAR_JWT_SECRET: TEST_SECRET,
    ROAR_TICK_MS: '20',
    ROAR_REPORT_INTERVAL_MS: String(REPORT_MS),
    ROAR_COUNT_INTERVAL_MS: '100',
    ROAR_REACTION_WINDOW_MS: '100',
    ROAR_STREAM_LINGER_MS: '200',
    ROAR_DRAIN_WINDOW_MS: '0',
    ROAR_LADDER_CPU: '64',
    ROAR_LADDER_LOOP_DELAY_MS: '5000',
    ROAR_LADDER_FANOUT_MS: '5000',
    // Each test starts an empty Redis: no peer could restore it, so waiting would only slow chat.
    ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
  };
}

/** A test file's brokers (see `useBrokers`). */
export interface FileBrokers {
  readonly nats: NatsServer;
  readonly redis: RedisServer;
  /** A key prefix no other test of the run has: the file's tag, the time, a counter. */
  prefix(): string;
  /** `clusterEnv` over these brokers. */
  env(prefix: string): Record<string, string>;
  /** `aggregatorInProcess` over these brokers. */
  aggregator(prefix: string): ReturnType<typeof aggregatorInProcess>;
}

/**
 * One nats-server and one redis-server for the whole test file: started before its first test,
 * stopped after its last (register at the file's top level). Tests share them and keep apart by
 * prefix, so each test takes its own `prefix()`.
 */
export function useBrokers(tag: string): FileBrokers {
  let nats: NatsServer | undefined;
  let redis: RedisServer | undefined;
  let n = 0;
  beforeAll(async () => {
    nats = await NatsServer.start();
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await nats?.[Symbol.asyncDispose]();
    await redis?.[Symbol.asyncDispose]();
  });
  const started = <T>(server: T | undefined): T => {
    if (server === undefined) throw new Error('useBrokers: the brokers start in beforeAll');
    return server;
  };
  return {
    get nats() {
      return started(nats);
    },
    get redis() {
      return started(redis);
    },
    prefix: () => `${tag}${Date.now().toString(36)}${(n++).toString(36)}`,
    env: (prefix) => clusterEnv(started(nats), started(redis), prefix),
    aggregator: (prefix) => aggregatorInProcess(started(nats), started(redis), prefix),
  };
}

export interface Node extends AsyncDisposable {
  port: number;
  wsUrl: string;
  gateway?: Gateway;
  bus?: NatsBus;
  process?: ManagedProcess;
  viewer(stream: string, options?: TestClientOptions & { user?: string }): Promise<TestClient>;
}

async function viewerOn(
  wsUrl: string,
  stream: string,
  options: TestClientOptions & { user?: string } = {},
): Promise<TestClient> {
  const { user, ...rest } = options;
  const client = await TestClient.connect(wsUrl, {
    ...(user ? { token: await token(user) } : {}),
    ...rest,
  });
  await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
  const joined = await client.request({ type: 'join', stream });
  if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
  return client;
}

/** A gateway in this process, over real NATS and Redis. */
export async function gatewayInProcess(env: Record<string, string>): Promise<Node> {
  const config = loadGatewayConfig(env);
  const bus = await connectNatsBus({ servers: config.natsUrl, name: config.gatewayId });
  const store = createRedisStore({
    url: config.redisUrl,
    prefix: config.prefix,
    historyCapacity: config.historyCapacity,
  });
  await store.ready(5000);
  const gateway = await Gateway.start({ config, bus, store, log: silentLogger });
  const wsUrl = `ws://127.0.0.1:${gateway.port}/ws`;
  return {
    port: gateway.port,
    wsUrl,
    gateway,
    bus,
    viewer: (stream, options) => viewerOn(wsUrl, stream, options),
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      await bus.close();
      await store.close();
    },
  };
}

/** A gateway process (the built dist), so it can be killed like a crashed host. */
export async function gatewayProcess(env: Record<string, string>): Promise<Node> {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const proc = new ManagedProcess(process.execPath, [MAIN], { ...process.env, ...env });
  const [, port] = await proc.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/, 15_000);
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  return {
    port: Number(port),
    wsUrl,
    process: proc,
    viewer: (stream, options) => viewerOn(wsUrl, stream, options),
    async [Symbol.asyncDispose]() {
      await proc.stop('SIGKILL');
    },
  };
}

/** The aggregator core with a partition lease, as the aggregator service runs it. */
export async function aggregatorInProcess(
  nats: BrokerUrl,
  redis: BrokerUrl,
  prefix: string,
): Promise<AsyncDisposable & { store: RedisStore }> {
  const bus = await connectNatsBus({ servers: nats.url.split(','), name: `agg-${prefix}` });
  const store = createRedisStore({ url: redis.url, prefix, historyCapacity: 200 });
  const aggregator = new Aggregator({
    bus,
    store,
    subjects: new Subjects(prefix),
    partitions: 1,
    reportIntervalMs: REPORT_MS,
    publishIntervalMs: 100,
    reactionWindowMs: 100,
    warmupMs: 0,
  });
  const leaser = new PartitionLeaser({
    leases: store.leases,
    owner: `agg-${prefix}`,
    partitions: 1,
    ttlMs: 1000,
    onAcquire: (p) => aggregator.own(p),
    onLose: (p) => aggregator.disown(p),
  });
  aggregator.start();
  leaser.start();
  return {
    store,
    async [Symbol.asyncDispose]() {
      await leaser.stop();
      aggregator.stop();
      await bus.close();
      await store.close();
    },
  };
}
