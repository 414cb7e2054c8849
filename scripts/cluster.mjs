#!/usr/bin/env node
// `npm run cluster`: the production topology on one machine, on loopback: nats-server,
// redis-server, N gateways (ROAR_MODE=gateway) and one aggregator, each a separate process.
// Ctrl-C stops them in the order a deploy would: gateways first (they drain their viewers),
// then the aggregator, then the brokers. See infra/README.md.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Child, describeExit, freePort, httpOk, portIsFree, redisPing } from './lib/processes.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
const GATEWAY_MAIN = join(ROOT, 'services/gateway/dist/main.js');
const AGGREGATOR_MAIN = join(ROOT, 'services/aggregator/dist/main.js');
/** Past the gateway's own shutdown timeout (30 s), which its drain window must fit in. */
const GATEWAY_STOP_GRACE_MS = 35_000;
const HEALTHY_WITHIN_MS = 20_000;

const USAGE = `Usage: npm run cluster -- [options]

Runs nats-server, redis-server, N gateways and one aggregator on 127.0.0.1.

  --gateways N        gateway processes (default 2)
  --gateway-port P    first gateway's port, the next ones count up (default 8081;
                      a taken port is replaced by a free one; 0 = free ports only)
  --agg-port P        aggregator health/metrics port (default 9091; 0 = a free port)
  --nats-port P       NATS client port (default: a free port)
  -h, --help          this text

Environment: ROAR_CLUSTER_NATS_PORT, ROAR_CLUSTER_GATEWAY_PORT, ROAR_CLUSTER_AGG_PORT (as the
flags), ROAR_CLUSTER_JWT_SECRET (reuse a secret, so tokens outlive a restart),
ROAR_CLUSTER_REDIS_DIR (Redis's append-only file and the event log's JetStream store go here;
reuse it and bans, rules, history and the log outlive the cluster; default: new directories
under the system temp dir). Other ROAR_*
variables are not passed on: the cluster configures its processes itself.`;

function fail(message) {
  console.error(`cluster: ${message}`);
  process.exit(2);
}

function portOption(value, name, fallback) {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    fail(`${name} must be a port (got "${value}")`);
  return Number(value);
}

let args;
try {
  args = parseArgs({
    options: {
      gateways: { type: 'string' },
      'gateway-port': { type: 'string' },
      'agg-port': { type: 'string' },
      'nats-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\n\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const gatewayCount = Number(args.gateways ?? '2');
if (!Number.isInteger(gatewayCount) || gatewayCount < 1 || gatewayCount > 16) {
  fail(`--gateways must be an integer from 1 to 16 (got "${args.gateways}")`);
}
const env = process.env;
const natsPortWanted = portOption(
  args['nats-port'] ?? env.ROAR_CLUSTER_NATS_PORT,
  '--nats-port',
  0,
);
const gatewayBase = portOption(
  args['gateway-port'] ?? env.ROAR_CLUSTER_GATEWAY_PORT,
  '--gateway-port',
  8081,
);
const aggPortWanted = portOption(args['agg-port'] ?? env.ROAR_CLUSTER_AGG_PORT, '--agg-port', 9091);
const secret = env.ROAR_CLUSTER_JWT_SECRET || randomBytes(32).toString('base64url');
// Moderation (bans, timeouts, rules) lives in Redis: AOF, as production runs it, so a Redis
// restart loses at most the last second instead of every ban (docs/operations.md).
const redisDir = env.ROAR_CLUSTER_REDIS_DIR
  ? resolve(env.ROAR_CLUSTER_REDIS_DIR)
  : mkdtempSync(join(tmpdir(), 'roar-cluster-redis-'));
mkdirSync(redisDir, { recursive: true });
// The event log's JetStream store: beside Redis's file when that is kept, else a new temp dir.
const jetstreamDir = env.ROAR_CLUSTER_REDIS_DIR
  ? join(redisDir, 'jetstream')
  : mkdtempSync(join(tmpdir(), 'roar-cluster-jetstream-'));
if (secret.length < 32) fail('ROAR_CLUSTER_JWT_SECRET must be at least 32 characters');

/** Debian installs nats-server in /usr/sbin, which is not on a normal user's PATH. */
function findBinary(name, debianPackage) {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      continue;
    }
  }
  fail(
    `${name} is not installed (looked on PATH and in /usr/sbin). ` +
      `On Debian or Ubuntu: sudo apt-get install ${debianPackage}`,
  );
}

const natsBin = findBinary('nats-server', 'nats-server');
const redisBin = findBinary('redis-server', 'redis-server');
for (const main of [GATEWAY_MAIN, AGGREGATOR_MAIN]) {
  try {
    accessSync(main, constants.R_OK);
  } catch {
    fail(`${main} is missing: build first (npm run build), or start with npm run cluster`);
  }
}

// ---- ports ----

const taken = new Set();
async function anyPort() {
  for (;;) {
    const port = await freePort(HOST);
    if (!taken.has(port)) return port;
  }
}
/** `wanted`, or a free port if it is taken (0 = any). Explicit NATS ports are not replaced. */
async function pickPort(wanted, label, replace = true) {
  let port = wanted;
  if (port === 0) port = await anyPort();
  else if (taken.has(port) || !(await portIsFree(HOST, port))) {
    if (!replace) fail(`${label} port ${wanted} is in use`);
    port = await anyPort();
    console.log(`cluster: port ${wanted} is taken; ${label} uses ${port}`);
  }
  taken.add(port);
  return port;
}

const natsPort = await pickPort(natsPortWanted, 'NATS', false);
const natsMonitorPort = await pickPort(0, 'NATS monitoring');
const redisPort = await pickPort(0, 'Redis');
const gatewayPorts = [];
for (let i = 0; i < gatewayCount; i++) {
  gatewayPorts.push(await pickPort(gatewayBase === 0 ? 0 : gatewayBase + i, `gw-${i + 1}`));
}
const aggPort = await pickPort(aggPortWanted, 'agg-1');
const natsUrl = `nats://${HOST}:${natsPort}`;
const redisUrl = `redis://${HOST}:${redisPort}`;

// ---- processes ----

/** The caller's environment without ROAR_*: each process gets exactly the settings below. */
const baseEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('ROAR_')));
const shared = { ROAR_NATS_URL: natsUrl, ROAR_REDIS_URL: redisUrl, ROAR_LOG: 'jetstream' };

const children = [];
let shutdown;
let firstSignalAt = 0;

function start(name, kind, command, argv, childEnv = baseEnv) {
  if (shutdown) throw new Error('stopping');
  const child = new Child(name, kind, command, argv, { cwd: ROOT, env: childEnv });
  children.push(child);
  void child.exited.then((exit) => {
    if (!shutdown) void stopAll(1, `${name} exited unexpectedly (${describeExit(exit)})`);
  });
  return child;
}

async function waitHealthy(child, check) {
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  for (;;) {
    if (!child.running) throw new Error(`${child.name} exited while starting`);
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`${child.name} not healthy within ${HEALTHY_WITHIN_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops everything, gateways first, and exits: `code`, or 1 if a process did not stop cleanly. */
function stopAll(code, reason) {
  shutdown ??= (async () => {
    if (reason) console.error(`cluster: ${reason}; stopping everything`);
    const of = (...kinds) => children.filter((c) => kinds.includes(c.kind));
    let clean = true;
    const stopGroup = async (group, graceMs, needZero) => {
      // One that died already was reported when it did.
      const live = group.filter((c) => c.running);
      const exits = await Promise.all(live.map((c) => c.stop('SIGTERM', graceMs)));
      for (const [i, exit] of exits.entries()) {
        if (exit.killed || (needZero && exit.code !== 0)) {
          clean = false;
          console.error(`cluster: ${live[i]?.name} did not stop cleanly (${describeExit(exit)})`);
        }
      }
    };
    console.log('cluster: stopping the gateways (they drain their viewers)');
    await stopGroup(of('gateway'), GATEWAY_STOP_GRACE_MS, true);
    console.log('cluster: stopping the aggregator');
    await stopGroup(of('aggregator'), 10_000, true);
    console.log('cluster: stopping NATS and Redis');
    await stopGroup(of('nats', 'redis'), 5_000, false);
    console.log(clean && code === 0 ? 'cluster: stopped' : 'cluster: stopped, with errors');
    process.exit(code !== 0 ? code : clean ? 0 : 1);
  })();
  return shutdown;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const now = Date.now();
    if (!shutdown) {
      firstSignalAt = now;
      void stopAll(0);
      // npm forwards the terminal's Ctrl-C a second time: only a later one means "now".
    } else if (now - firstSignalAt > 1000) {
      console.error('cluster: second signal, killing everything');
      for (const c of children) c.kill('SIGKILL');
      process.exit(130);
    }
  });
}
// Children run in their own process groups (so Ctrl-C reaches only this script, which stops
// them in order); if this script dies some other way, they must not outlive it.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

try {
  const nats = start('nats', 'nats', natsBin, [
    ...['-a', HOST, '-p', String(natsPort), '-m', String(natsMonitorPort)],
    ...['-n', 'roar-cluster-nats'],
    // JetStream holds the event log (ROAR_LOG=jetstream below): replay and exports.
    ...['-js', '-sd', jetstreamDir],
  ]);
  const redis = start('redis', 'redis', redisBin, [
    ...['--bind', HOST, '--port', String(redisPort), '--protected-mode', 'yes'],
    ...['--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    ...['--loglevel', 'warning'],
  ]);
  await Promise.all([
    waitHealthy(nats, () => httpOk(`http://${HOST}:${natsMonitorPort}/healthz`)),
    waitHealthy(redis, () => redisPing(HOST, redisPort)),
  ]);

  const aggregator = start('agg-1', 'aggregator', process.execPath, [AGGREGATOR_MAIN], {
    ...baseEnv,
    ...shared,
    ROAR_AGG_ID: 'agg-1',
    ROAR_AGG_HOST: HOST,
    ROAR_AGG_PORT: String(aggPort),
  });
  const gateways = gatewayPorts.map((port, i) =>
    start(`gw-${i + 1}`, 'gateway', process.execPath, ['--max-semi-space-size=4', GATEWAY_MAIN], {
      ...baseEnv,
      ...shared,
      ROAR_MODE: 'gateway',
      ROAR_HOST: HOST,
      ROAR_PORT: String(port),
      ROAR_WORKERS: '1',
      ROAR_GATEWAY_ID: `gw-${i + 1}`,
      ROAR_JWT_SECRET: secret,
      ROAR_DEV_LOGIN: 'true',
    }),
  );
  await Promise.all([
    waitHealthy(aggregator, () => httpOk(`http://${HOST}:${aggPort}/readyz`)),
    ...gateways.map((g, i) =>
      waitHealthy(g, () => httpOk(`http://${HOST}:${gatewayPorts[i]}/readyz`)),
    ),
  ]);

  const rows = [
    ['name', 'pid', 'address', 'metrics / monitoring'],
    ...gateways.map((g, i) => {
      const base = `http://${HOST}:${gatewayPorts[i]}`;
      return [g.name, g.pid, `${base}/`, `${base}/metrics`];
    }),
    [aggregator.name, aggregator.pid, `http://${HOST}:${aggPort}/readyz`],
    [nats.name, nats.pid, natsUrl, `http://${HOST}:${natsMonitorPort}/varz`],
    [redis.name, redis.pid, redisUrl, `redis-cli -p ${redisPort} info  (AOF in ${redisDir})`],
  ];
  rows[gateways.length + 1]?.push(`http://${HOST}:${aggPort}/metrics`);
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => String(r[col]).length)));
  const table = rows.map((r) =>
    `  ${r.map((c, i) => String(c).padEnd(widths[i])).join('  ')}`.trimEnd(),
  );
  const first = `http://${HOST}:${gatewayPorts[0]}`;
  console.log(
    [
      '',
      `Roar cluster ready: ${gateways.length} gateway(s), 1 aggregator, NATS and Redis on ${HOST}`,
      '',
      ...table,
      '',
      `  Demo pages: ${gatewayPorts.map((p) => `http://${HOST}:${p}/`).join('  ')}`,
      '  (open two side by side, join the same stream: chat and the count cross gateways)',
      `  JWT secret (HS256, shared by the gateways, dev only): ${secret}`,
      `  Mint a token: curl -s -X POST ${first}/dev/token -d '{"name":"asha"}'`,
      '  Ctrl-C stops everything: the gateways first (they drain), the aggregator, then NATS and Redis.',
      '',
    ].join('\n'),
  );
} catch (error) {
  void stopAll(1, error instanceof Error ? error.message : String(error));
}
