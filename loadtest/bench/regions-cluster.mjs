#!/usr/bin/env node
// Issue 17's figures for two regions and Redis Cluster, run on their own (not part of `npm run
// bench`): `node loadtest/bench/regions-cluster.mjs` after `npm run build`. Loopback only,
// bounded in messages, operations and time (~1 min); every child is killed on any exit.
//
// 1. Cross-region chat: two NATS clusters of one server each joined by a gateway link (the
//    topology of docs/architecture.md "Two regions"), a Redis and a gateway process per region.
//    A chatter on region a's gateway sends `--chats` messages at `--rate`/s; a viewer on each
//    gateway measures send → receive latency (same host, one clock). Bytes between regions per
//    message: the gateway link's out_bytes (a → b, from /gatewayz) over the run, less a quiet
//    window's, divided by the messages.
// 2. Redis Cluster vs a single Redis, same run, through `createRedisStore`: history appends,
//    history reads (50 recent) and HyperLogLog adds (100 ids a call), 64 calls in flight.
import { createRedisStore } from '@roar/store';
import { NatsSuperCluster, RedisCluster, RedisServer } from '@roar/testkit';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nowMs } from './drivers/common.mjs';
import { mintToken, open } from './drivers/roar.mjs';
import { Histogram } from './lib/histogram.mjs';
import { installCleanup, sleep, waitUntil } from './lib/proc.mjs';
import { JWT_SECRET, ROOT, startServer } from './lib/servers.mjs';

const { values } = parseArgs({
  options: {
    chats: { type: 'string', default: '400' },
    rate: { type: 'string', default: '40' },
    ops: { type: 'string', default: '20000' },
  },
});
const CHATS = Number(values.chats);
const RATE = Number(values.rate);
const OPS = Number(values.ops);
const IN_FLIGHT = 64;
const HARD_STOP_MS = 240_000;

installCleanup();
const hardStop = setTimeout(() => {
  console.error('regions-cluster: hard deadline reached, stopping');
  process.exit(3);
}, HARD_STOP_MS);
hardStop.unref();

const log = (msg) => console.log(`[regions-cluster] ${msg}`);
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs `work` with the launchers it names, disposing them afterwards whatever happens. */
async function withDisposed(starts, work) {
  const held = [];
  try {
    for (const start of starts) held.push(await start());
    return await work(...held);
  } finally {
    for (const item of held.reverse()) await item[Symbol.asyncDispose]();
  }
}

function crossRegion() {
  return withDisposed(
    [
      () =>
        NatsSuperCluster.start({
          regions: [
            { name: 'a', servers: 1 },
            { name: 'b', servers: 1 },
          ],
        }),
      () => RedisServer.start(),
      () => RedisServer.start(),
    ],
    crossRegionOn,
  );
}

async function crossRegionOn(nats, redisA, redisB) {
  const prefix = `xr${Date.now().toString(36)}`;
  const env = (region, redis) => ({
    ROAR_MODE: 'gateway',
    ROAR_WORKERS: '1',
    ROAR_NATS_URL: nats.url(region),
    ROAR_REDIS_URL: redis.url,
    ROAR_PREFIX: prefix,
    ROAR_CHAT_RATE: '200',
    ROAR_CHAT_BURST: '200',
    ROAR_FRAME_RATE: '500',
    // Every message to every viewer: the figure is latency, not sampling.
    ROAR_CHAT_BUDGET: '1000',
  });
  const gateways = [
    await startServer('roar', { name: 'gw-a', env: env('a', redisA) }),
    await startServer('roar', { name: 'gw-b', env: env('b', redisB) }),
  ];
  try {
    const stream = 'xr';
    const histograms = { a: new Histogram(), b: new Histogram() };
    const sinkFor = (h) => ({
      closed: () => {},
      total: () => {},
      frame: () => {},
      chat: (sentAt) => h.record(nowMs() - sentAt),
    });
    const common = { host: '127.0.0.1', stream, timeoutMs: 10_000 };
    await open({ ...common, port: gateways[0].port, id: 'va', sink: sinkFor(histograms.a) });
    await open({ ...common, port: gateways[1].port, id: 'vb', sink: sinkFor(histograms.b) });
    const chatter = await open({
      ...common,
      port: gateways[0].port,
      id: 'chatter',
      token: mintToken(JWT_SECRET, 'chatter'),
      sink: sinkFor(new Histogram()),
    });
    // Region b's gateway subscribes on join; give the interest time to reach region a.
    await sleep(1000);
    const quiet0 = await nats.sent('a', 'b');
    await sleep(2000);
    const quiet1 = await nats.sent('a', 'b');
    const quietBytesPerMs = (quiet1.bytes - quiet0.bytes) / 2000;
    const quietMsgsPerMs = (quiet1.msgs - quiet0.msgs) / 2000;
    const started = performance.now();
    for (let seq = 0; seq < CHATS; seq++) {
      chatter.publish(seq);
      const due = started + ((seq + 1) * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await waitUntil(() => histograms.b.n >= CHATS && histograms.a.n >= CHATS, 15_000);
    const elapsed = performance.now() - started;
    const after = await nats.sent('a', 'b');
    const crossedMsgs = after.msgs - quiet1.msgs - quietMsgsPerMs * elapsed;
    const crossedBytes = after.bytes - quiet1.bytes - quietBytesPerMs * elapsed;
    const pct = (h, p) => round(h.percentile(p) ?? NaN, 2);
    return {
      chats: CHATS,
      ratePerS: RATE,
      received: { sameRegion: histograms.a.n, otherRegion: histograms.b.n },
      latencyMs: {
        sameRegion: { p50: pct(histograms.a, 50), p99: pct(histograms.a, 99) },
        otherRegion: { p50: pct(histograms.b, 50), p99: pct(histograms.b, 99) },
      },
      // Per message that reached region b, so a refused send cannot flatter the figure.
      crossingsPerMessage: round(crossedMsgs / histograms.b.n, 3),
      bytesBetweenRegionsPerMessage: Math.round(crossedBytes / histograms.b.n),
      quietBytesPerS: Math.round(quietBytesPerMs * 1000),
    };
  } finally {
    await Promise.all(gateways.map((g) => g.proc.stop('SIGKILL')));
  }
}

/** `total` calls of `call(i)`, `IN_FLIGHT` at a time; calls per second. */
async function throughput(total, call) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) await call(next++);
    }),
  );
  return Math.round(total / ((performance.now() - started) / 1000));
}

async function storeFigures(url, label) {
  const store = createRedisStore({ url, prefix: `rb-${label}`, historyCapacity: 200 });
  await store.ready(10_000);
  try {
    const streams = Array.from({ length: 64 }, (_, i) => `bench-${i}`);
    const bytes = new Uint8Array(200).fill(120);
    const appendPerS = await throughput(OPS, (i) =>
      store.history.append(streams[i % streams.length], [{ id: `m${i}`, bytes }]),
    );
    const readPerS = await throughput(OPS, (i) =>
      store.history.recent(streams[i % streams.length], 50),
    );
    const hllCalls = Math.max(1, Math.round(OPS / 10));
    const hllCallsPerS = await throughput(hllCalls, (i) =>
      store.uniques.add(
        streams[i % streams.length],
        Array.from({ length: 100 }, (_, k) => `u${i}-${k}`),
      ),
    );
    return {
      historyAppendsPerS: appendPerS,
      historyReadsPerS: readPerS,
      hllIdsPerS: hllCallsPerS * 100,
    };
  } finally {
    await store.close();
  }
}

function redisCluster() {
  return withDisposed(
    [() => RedisServer.start(), () => RedisCluster.start({ masters: 3 })],
    async (single, cluster) => ({
      opsPerFigure: OPS,
      inFlight: IN_FLIGHT,
      single: await storeFigures(single.url, 'single'),
      cluster: await storeFigures(cluster.url, 'cluster'),
    }),
  );
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
  cwd: ROOT,
  encoding: 'utf8',
}).trim();
log(`commit ${commit}; cross-region chat: ${CHATS} messages at ${RATE}/s`);
const results = { commit, at: new Date().toISOString(), crossRegion: await crossRegion() };
log(JSON.stringify(results.crossRegion));
log(`Redis Cluster vs single Redis: ${OPS} calls per figure`);
results.redisCluster = await redisCluster();
log(JSON.stringify(results.redisCluster));
mkdirSync(`${ROOT}loadtest/out`, { recursive: true });
writeFileSync(`${ROOT}loadtest/out/regions-cluster.json`, `${JSON.stringify(results, null, 2)}\n`);
log('wrote loadtest/out/regions-cluster.json');
process.exit(0);
