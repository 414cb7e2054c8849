#!/usr/bin/env node
// The durable event log's costs (issue 15), runnable alone:
//   node loadtest/bench/log.mjs [--pairs 3] [--seconds 8] [--rate 300] [--viewers 100] [--requests 3000]
// or as a phase of the bench: `node loadtest/bench/run.mjs --only log`.
//
// 1. Chat CPU per accepted message on one gateway process (ROAR_MODE=gateway, one worker, real
//    nats-server -js and redis-server started here), with ROAR_LOG=off and ROAR_LOG=jetstream,
//    alternated (off, on, off, on...) so drift on a shared machine falls on both; medians.
//    Target: on ≤ 1.1× off.
// 2. Replay: many concurrent GETs of one hot bucket (final, and at the live edge) against that
//    gateway: requests served per second, and the log reads they cost (roar_replay_bucket_reads_total
//    and roar_log_reads_total from /metrics). Target: one bucket read per gateway.
// Loopback only; every process it starts is killed on exit.
import { connectJetStreamLog } from '@roar/log';
import { TestClient } from '@roar/testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mintToken } from './drivers/roar.mjs';
import { MODES } from './modes.mjs';
import { startBrokers } from './lib/brokers.mjs';
import { installCleanup, killAll, procUsage, sleep } from './lib/proc.mjs';
import { fetchMetrics, JWT_SECRET, metric, startServer } from './lib/servers.mjs';

const BUCKET_MS = 10_000;
const STREAM = 'logbench';

export async function runLog(cfg, ctx) {
  const store = mkdtempSync(join(tmpdir(), 'roar-bench-js-'));
  let brokers;
  try {
    brokers = await startBrokers({ jetstreamDir: store });
    const shared = {
      ROAR_MODE: 'gateway',
      ROAR_WORKERS: '1',
      ...brokers.env,
      ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
      ROAR_CHAT_RATE: '1000',
      ROAR_CHAT_BURST: '1000',
      ROAR_FRAME_RATE: '10000',
      ROAR_FRAME_BURST: '10000',
    };
    const appendCost = await appendCostAlone(shared.ROAR_NATS_URL, `la${ctx.runId}`, cfg);
    ctx.log(`log: an append alone costs ${appendCost.cpuUsPerAppend} µs of CPU (acknowledged)`);
    const runs = [];
    const order = Array.from({ length: cfg.pairs }, () => ['off', 'jetstream']).flat();
    for (const log of order) {
      const prefix = `lb${ctx.runId}${runs.length}`;
      const last = runs.length === order.length - 1;
      const gw = await startServer('roar', {
        name: `gw-log-${log}`,
        env: { ...shared, ROAR_PREFIX: prefix, ROAR_LOG: log },
      });
      try {
        const r = await chatCost(gw, cfg, ctx);
        runs.push({ log, ...r });
        ctx.log(
          `log: ROAR_LOG=${log}: ${r.accepted} accepted, ${r.cpuUsPerMessage} µs CPU per message`,
        );
        if (last) {
          const chat = { ...summarize(runs), appendAlone: appendCost };
          return { chat, replay: await replay(gw, r.startedAt, cfg, ctx) };
        }
      } finally {
        await gw.proc.stop('SIGKILL');
      }
    }
    throw new Error('unreachable');
  } finally {
    await brokers?.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

/**
 * The log's own CPU per append in this process (queue, encode, publish, acknowledgement), away
 * from a gateway: what the gateway pays per accepted message on top of its own work.
 */
async function appendCostAlone(servers, prefix, cfg) {
  const log = await connectJetStreamLog({ servers, prefix });
  try {
    const n = Math.round(cfg.rate * cfg.seconds);
    const user = { id: 'u1', name: 'Bench' };
    // Warm up once, then measure.
    let cpuUs = 0;
    for (const round of [0, 1]) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const id = `a${round}.${i}`;
        log.append(STREAM, {
          type: 'chat.published',
          id,
          ts: Date.now(),
          data: { id, user, text: `bench ${i}` },
        });
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      await log.flush();
      const c = process.cpuUsage(c0);
      cpuUs = c.user + c.system;
    }
    return { appends: n, cpuUsPerAppend: round(cpuUs / n, 1), stored: log.stats().stored };
  } finally {
    await log.close();
  }
}

/** `viewers` watch, `chatters` send `rate` msg/s for `seconds`: gateway CPU per accepted message. */
export async function chatCost(gw, cfg, ctx) {
  const url = `ws://127.0.0.1:${gw.port}/ws`;
  const clients = [];
  const joined = async (token) => {
    const c = await TestClient.connect(url, token ? { token } : {});
    clients.push(c);
    await c.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
    const r = await c.request({ type: 'join', stream: STREAM }, 10_000);
    if (r.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(r)}`);
    return c;
  };
  try {
    for (let i = 0; i < cfg.viewers; i++) await joined(undefined);
    const chatters = [];
    for (let i = 0; i < cfg.chatters; i++)
      chatters.push(await joined(mintToken(JWT_SECRET, `c${i}`)));
    await sleep(500);
    const startedAt = Date.now();
    const cpu0 = procUsage(gw.pid).cpuS;
    const total = Math.round(cfg.rate * cfg.seconds);
    const replies = [];
    for (let i = 0; i < total && ctx.left() > 10_000; i++) {
      const due = startedAt + (i * 1000) / cfg.rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const c = chatters[i % chatters.length];
      replies.push(c.request({ type: 'chat', stream: STREAM, text: `bench ${i}` }, 20_000));
    }
    const settled = await Promise.allSettled(replies);
    const cpuS = procUsage(gw.pid).cpuS - cpu0;
    const accepted = settled.filter((s) => s.status === 'fulfilled' && s.value.type === 'ack');
    return {
      startedAt,
      sent: total,
      accepted: accepted.length,
      cpuS: round(cpuS, 2),
      cpuUsPerMessage: Math.round((cpuS * 1e6) / Math.max(1, accepted.length)),
    };
  } finally {
    for (const c of clients) c.terminate();
  }
}

/** Medians: one run disturbed by another process on a shared machine does not move them. */
function summarize(runs) {
  const median = (log) => {
    const xs = runs
      .filter((r) => r.log === log)
      .map((r) => r.cpuUsPerMessage)
      .sort((a, b) => a - b);
    const mid = xs.length >> 1;
    return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  };
  const off = median('off');
  const on = median('jetstream');
  return {
    runs,
    offUsPerMessage: Math.round(off),
    onUsPerMessage: Math.round(on),
    ratio: round(on / off, 3),
  };
}

/** Concurrent GETs of one bucket: served per second, and log reads. */
async function replay(gw, chatStartedAt, cfg, ctx) {
  const base = `http://127.0.0.1:${gw.port}`;
  const reads = async () => {
    const m = await fetchMetrics(gw.port);
    return {
      bucket: metric(m, 'roar_replay_bucket_reads_total') ?? 0,
      log: metric(m, 'roar_log_reads_total') ?? 0,
    };
  };
  const hammer = async (path) => {
    const before = await reads();
    const cpu0 = procUsage(gw.pid).cpuS;
    const t = performance.now();
    let ok = 0;
    let events = 0;
    let next = 0;
    const worker = async () => {
      while (next < cfg.requests) {
        const i = next++;
        const res = await fetch(`${base}${path}`);
        // Only one body is parsed: the load generator shares the machine with the gateway.
        if (i === 0) events = (await res.json()).events.length;
        else await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    };
    await Promise.all(Array.from({ length: cfg.concurrency }, worker));
    const seconds = (performance.now() - t) / 1000;
    const cpuS = procUsage(gw.pid).cpuS - cpu0;
    const after = await reads();
    return {
      requests: cfg.requests,
      ok,
      eventsPerReply: events,
      perSecond: Math.round(ok / seconds),
      gatewayCpuUsPerRequest: Math.round((cpuS * 1e6) / Math.max(1, ok)),
      bucketReads: after.bucket - before.bucket,
      logReads: after.log - before.log,
    };
  };
  // The bucket holding the middle of the chat: final 5 s after it ends.
  const middle = chatStartedAt + (cfg.seconds * 1000) / 2;
  const first = middle - (middle % BUCKET_MS);
  const finalAt = first + BUCKET_MS + 5000;
  if (Date.now() < finalAt) await sleep(finalAt - Date.now() + 200);
  const index = await (
    await fetch(
      `${base}/v1/streams/${STREAM}/replay?from=${first}&to=${first + BUCKET_MS}&events=0`,
    )
  ).json();
  // The index request above read the bucket (once); the hammer after it reads nothing more.
  const final = await hammer(index.buckets[0].url);
  ctx.log(
    `log: replay of a final bucket (${final.eventsPerReply} events): ${final.perSecond} req/s, ${final.gatewayCpuUsPerRequest} µs gateway CPU each, ${final.bucketReads} bucket read(s), ${final.logReads} log read(s) for ${final.ok} requests`,
  );
  const now = Date.now();
  const edge = now - (now % BUCKET_MS);
  const live = await hammer(`/v1/streams/${STREAM}/replay/buckets/${edge}`);
  ctx.log(
    `log: replay of the live-edge bucket (${live.eventsPerReply} events): ${live.perSecond} req/s, ${live.gatewayCpuUsPerRequest} µs gateway CPU each, ${live.bucketReads} bucket read(s) for ${live.ok} requests`,
  );
  return { final, liveEdge: live };
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

// Run alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      viewers: { type: 'string' },
      requests: { type: 'string' },
      pairs: { type: 'string' },
    },
  });
  // The full bench's settings (modes.mjs), flags override.
  const cfg = { ...MODES.full.log };
  for (const [k, v] of Object.entries(values)) cfg[k] = Number(v);
  installCleanup();
  const started = Date.now();
  const deadline = started + 5 * 60_000;
  const ctx = {
    runId: Math.random().toString(36).slice(2, 6),
    left: () => deadline - Date.now(),
    log: (msg) =>
      console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`),
  };
  try {
    console.log(JSON.stringify(await runLog(cfg, ctx), null, 2));
  } finally {
    killAll();
  }
  process.exit(0);
}
