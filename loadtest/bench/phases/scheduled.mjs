// Issue 18's figures. `toss`: two gateways over NATS and Redis with the aggregator; one stream
// is scheduled and warmed, another is not; after an unmeasured toss that warms up the processes,
// `joins` viewers arrive at once, interleaved over both streams (same machine, same moment), each
// timed from dial to `joined` and from `welcome` to `joined` (p50/p99), with the Redis commands
// per gateway (INFO commandstats, the idle rate beside it) and the gateways' event-loop delay. `fair-admission`:
// one gateway admitting `ratePerS`; `clients` arrive spread over `spreadMs`, first honouring
// admission tickets (the SDK), then retrying after a jittered Retry-After (the old way), each
// against a fresh gateway; reported: how far from arrival order clients got in, and the time to
// admit everyone.
import { fileURLToPath } from 'node:url';
import { nowMs } from '../drivers/common.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { startAggregator, startBrokers } from '../lib/brokers.mjs';
import { Worker } from '../lib/pool.mjs';
import { sleep, waitUntil } from '../lib/proc.mjs';
import { INSPECT_ARGS } from '../lib/inspector.mjs';
import { fetchMetrics, metric, startServer } from '../lib/servers.mjs';
import { round, split } from '../lib/split.mjs';

const CLIENT = fileURLToPath(new URL('../scheduled-client.mjs', import.meta.url));
const API_KEY = 'bench-key-0123456789abcdef0123456789abcdef';
const READS = new Set([
  'get',
  'mget',
  'hget',
  'hmget',
  'hgetall',
  'lrange',
  'llen',
  'exists',
  'xrevrange',
  'xrange',
  'pfcount',
  'smembers',
  'zrange',
  'ttl',
  'pttl',
  'getex',
]);

const pct = (sorted, p) =>
  sorted.length === 0
    ? null
    : round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))], 1);

/** The brokers of a run; Redis takes DEBUG SLEEP (the toss stalls it; a loopback server of the bench's own). */
async function brokers(ctx) {
  const b = await startBrokers({ redisArgs: ['--enable-debug-command', 'yes'] });
  return { ...b, shared: { ...b.env, ROAR_PREFIX: `sched${ctx.runId}`, ROAR_LOG_LEVEL: 'info' } };
}

/** Redis INFO commandstats: command → calls. */
async function commandStats(port) {
  const { Redis } = await import('ioredis');
  const r = new Redis(port, '127.0.0.1');
  try {
    const text = await r.info('commandstats');
    const out = {};
    for (const [, cmd, calls] of text.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
      out[cmd] = Number(calls);
    return out;
  } finally {
    r.disconnect();
  }
}

/** Blocks Redis for `ms` from `at` (DEBUG SLEEP), on a connection of its own. */
async function stallRedis(port, at, ms) {
  const { Redis } = await import('ioredis');
  const r = new Redis(port, '127.0.0.1', { commandTimeout: ms + 5000 });
  try {
    await sleep(Math.max(0, at - Date.now()));
    await r.call('DEBUG', 'SLEEP', String(ms / 1000));
  } finally {
    r.disconnect();
  }
}

function delta(before, after) {
  let all = 0;
  let reads = 0;
  for (const [cmd, n] of Object.entries(after)) {
    const d = n - (before[cmd] ?? 0);
    all += d;
    if (READS.has(cmd)) reads += d;
  }
  return { all, reads };
}

export async function runToss(cfg, ctx) {
  const b = await brokers(ctx);
  const workers = Array.from({ length: cfg.workers }, (_, i) => new Worker(`toss-${i}`, CLIENT));
  let aggregator;
  let gateways = [];
  try {
    aggregator = await startAggregator(b.shared);
    gateways = await Promise.all(
      Array.from({ length: cfg.gateways }, (_, i) =>
        startServer('roar', {
          name: `toss-gw${i}`,
          env: {
            ...b.shared,
            ROAR_MODE: 'gateway',
            ROAR_WORKERS: '1',
            ROAR_GATEWAY_ID: `toss-gw${i}`,
            ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
            ROAR_ADMIN_API_KEYS: `bench:${API_KEY}`,
          },
        }),
      ),
    );
    // History to load: the warm-up must have something to read, as a real stream does.
    const startAt = new Date(Date.now() + 3_600_000).toISOString();
    for (const stream of ['warm', 'warm-stall']) {
      const res = await fetch(
        `http://127.0.0.1:${gateways[0].port}/admin/v1/streams/${stream}/schedule`,
        {
          method: 'PUT',
          headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({
            startAt,
            warmAt: new Date().toISOString(),
            expectedViewers: cfg.joins,
          }),
        },
      );
      if (res.status !== 201)
        throw new Error(`schedule refused: ${res.status} ${await res.text()}`);
    }
    const warmed = await waitUntil(
      async () => {
        const ms = await Promise.all(gateways.map((g) => fetchMetrics(g.port)));
        return ms.every((m) => metric(m, 'roar_scheduled_warm_streams') === 2);
      },
      10_000,
      200,
    );
    if (!warmed) throw new Error('the gateways did not warm the stream');
    const out = { joins: cfg.joins, gateways: cfg.gateways, workers: cfg.workers };
    // Idle baseline: what the cluster asks of Redis with nothing happening, per second.
    const idle0 = await commandStats(b.redisPort);
    await sleep(2000);
    const idle = delta(idle0, await commandStats(b.redisPort));
    out.idleRedisPerS = { all: round(idle.all / 2, 1), reads: round(idle.reads / 2, 1) };
    const toss = async (streams, count, stallMs = 0) => {
      const before = await commandStats(b.redisPort);
      await Promise.all(gateways.map((g) => fetchMetrics(g.port))); // resets the loop histograms
      const at = Date.now() + 500;
      const per = split(count, workers.length);
      const t = nowMs();
      // Redis stalls as the herd arrives (a slow command, a failover): who waits on it?
      const stall =
        stallMs > 0
          ? stallRedis(b.redisPort, at, stallMs).then(
              () => undefined,
              (error) => String(error.message ?? error),
            )
          : undefined;
      const results = await Promise.all(
        workers.map((w, i) =>
          w.request(
            'toss',
            {
              url: `ws://127.0.0.1:${gateways[i % gateways.length].port}/ws`,
              streams,
              count: per[i],
              at,
              ...addressesFor(per[i], 2000),
              budgetMs: cfg.budgetMs,
            },
            cfg.budgetMs + 60_000,
          ),
        ),
      );
      const seconds = (nowMs() - t - 500) / 1000;
      const stallError = await stall;
      if (stallError) throw new Error(`could not stall Redis: ${stallError}`);
      const loops = await Promise.all(gateways.map((g) => fetchMetrics(g.port)));
      const d = delta(before, await commandStats(b.redisPort));
      await Promise.all(workers.map((w) => w.request('close')));
      await sleep(3000);
      const run = {
        seconds: round(seconds, 2),
        // As measured, the aggregator's and the gateways' own calls included (the idle rate is
        // given beside it): nothing is subtracted.
        redisPerGateway: {
          all: round(d.all / gateways.length, 1),
          reads: round(d.reads / gateways.length, 1),
        },
        loopP99Ms: loops.map((m) => round(metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000, 1)),
        loopMaxMs: loops.map((m) => round(metric(m, 'nodejs_eventloop_lag_max_seconds') * 1000, 1)),
        streams: {},
      };
      for (const stream of streams) {
        const lat = results.flatMap((r) => r[stream].latencies).sort((x, y) => x - y);
        const join = results.flatMap((r) => r[stream].joins).sort((x, y) => x - y);
        const errors = {};
        for (const r of results)
          for (const [k, v] of Object.entries(r[stream].errors)) errors[k] = (errors[k] ?? 0) + v;
        run.streams[stream] = {
          joined: lat.length,
          errors,
          dialToJoinedMs: { p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: pct(lat, 1) },
          welcomeToJoinedMs: { p50: pct(join, 0.5), p99: pct(join, 0.99), max: pct(join, 1) },
        };
      }
      return run;
    };
    // Unmeasured: the processes' JIT and sockets warm up on a stream of its own first.
    await toss(['jit'], Math.ceil(cfg.joins / 10));
    // The toss: both streams at once, interleaved, so both see the same machine.
    out.toss = await toss(['warm', 'cold'], cfg.joins);
    ctx.log(`toss: ${JSON.stringify(out.toss)}`);
    // Again on fresh streams, with Redis stalled for `stallMs` from the first join.
    out.stallMs = cfg.stallMs;
    out.tossRedisStalled = await toss(['warm-stall', 'cold-stall'], cfg.joins, cfg.stallMs);
    ctx.log(`toss, Redis stalled: ${JSON.stringify(out.tossRedisStalled)}`);
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(gateways.map((g) => g.proc.stop('SIGKILL')));
    await aggregator?.stop('SIGKILL');
    await b.stop();
  }
}

/** How far from arrival order clients got in: |admission rank − arrival rank|. */
function orderDistance(clients) {
  const admitted = clients.filter((c) => c.admittedAt !== undefined);
  const byArrival = [...admitted].sort((a, b) => a.arrivedAt - b.arrivedAt);
  const rank = new Map(byArrival.map((c, i) => [c, i]));
  const byAdmission = [...admitted].sort((a, b) => a.admittedAt - b.admittedAt);
  const dist = byAdmission.map((c, i) => Math.abs(i - rank.get(c))).sort((a, b) => a - b);
  const first = Math.min(...clients.map((c) => c.arrivedAt));
  const waits = admitted.map((c) => c.admittedAt - c.arrivedAt).sort((a, b) => a - b);
  const attempts = clients.map((c) => c.attempts).sort((a, b) => a - b);
  // Overtaken: someone who arrived at least a second later got in first. Robust to the
  // milliseconds of jitter a loaded machine adds to every timestamp, unlike ranks.
  const latestAdmit = [];
  let earliest = Infinity;
  for (let i = byArrival.length - 1; i >= 0; i--) {
    earliest = Math.min(earliest, byArrival[i].admittedAt);
    latestAdmit[i] = earliest;
  }
  let j = 0;
  let overtaken = 0;
  for (const c of byArrival) {
    while (j < byArrival.length && byArrival[j].arrivedAt < c.arrivedAt + 1000) j++;
    if (j < byArrival.length && latestAdmit[j] < c.admittedAt) overtaken++;
  }
  return {
    clients: clients.length,
    admitted: admitted.length,
    rankDistance: {
      mean: round(dist.reduce((s, x) => s + x, 0) / Math.max(1, dist.length), 1),
      p50: pct(dist, 0.5),
      p99: pct(dist, 0.99),
      max: pct(dist, 1),
    },
    overtakenBy1sLater: round(overtaken / Math.max(1, byArrival.length), 3),
    admitAllS: round((Math.max(...admitted.map((c) => c.admittedAt)) - first) / 1000, 2),
    waitMs: { p50: pct(waits, 0.5), p99: pct(waits, 0.99) },
    attempts: { p50: pct(attempts, 0.5), p99: pct(attempts, 0.99), max: pct(attempts, 1) },
  };
}

export async function runFairAdmission(cfg, ctx) {
  const out = {
    ratePerS: cfg.ratePerS,
    burst: cfg.burst,
    clients: cfg.clients,
    spreadMs: cfg.spreadMs,
    modes: {},
  };
  for (const mode of ['ticket', 'naive']) {
    const gw = await startServer('roar', {
      name: `fair-${mode}`,
      env: {
        ROAR_ADMISSION_RATE: String(cfg.ratePerS),
        ROAR_ADMISSION_BURST: String(cfg.burst),
        ROAR_RETRY_AFTER_S: '1',
      },
    });
    const workers = Array.from({ length: cfg.workers }, (_, i) => new Worker(`fair-${i}`, CLIENT));
    try {
      const at = Date.now() + 500;
      const per = split(cfg.clients, workers.length);
      // Interleaved arrivals: worker i's k-th client arrives at slot k·workers + i.
      const results = await Promise.all(
        workers.map((w, i) =>
          w.request(
            'storm',
            {
              url: `ws://127.0.0.1:${gw.port}/ws`,
              stream: 'storm',
              count: per[i],
              at: at + (i * cfg.spreadMs) / cfg.clients,
              spreadMs: cfg.spreadMs,
              ...addressesFor(per[i], 1000),
              mode,
              budgetMs: cfg.budgetMs,
            },
            cfg.budgetMs + 60_000,
          ),
        ),
      );
      out.modes[mode] = orderDistance(results.flatMap((r) => r.clients));
      const m = await fetchMetrics(gw.port);
      out.modes[mode].refusedByReason = Object.fromEntries(
        (m.get('roar_admission_refused_total') ?? []).map((x) => [x.labels.reason, x.value]),
      );
      ctx.log(`fair admission (${mode}): ${JSON.stringify(out.modes[mode])}`);
      await Promise.all(workers.map((w) => w.request('close')));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await gw.proc.stop('SIGKILL');
    }
  }
  return out;
}

/**
 * What warm-up costs per idle stream: one gateway over NATS and Redis warms `streams` scheduled
 * streams with nobody watching; reported per stream: resident memory and JS heap after a full GC,
 * bus subscriptions, and the Redis commands the warm-up read. (Timers: none per stream by design,
 * the calendar's one-second tick is per gateway.)
 */
export async function runWarmCost(cfg, ctx) {
  const b = await brokers(ctx);
  let gw;
  try {
    gw = await startServer('roar', {
      name: 'warm-gw',
      nodeArgs: INSPECT_ARGS,
      env: {
        ...b.shared,
        ROAR_MODE: 'gateway',
        ROAR_WORKERS: '1',
        ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
        ROAR_ADMIN_API_KEYS: `bench:${API_KEY}`,
      },
    });
    await sleep(1000);
    const heap = async () => metric(await fetchMetrics(gw.port), 'nodejs_heap_size_used_bytes');
    const subs = async () => metric(await fetchMetrics(gw.port), 'roar_bus_subscriptions_total');
    const rss0 = await gw.settledRss();
    const heap0 = await heap();
    const subs0 = await subs();
    const redis0 = await commandStats(b.redisPort);
    const startAt = new Date(Date.now() + 3_600_000).toISOString();
    const warmAt = new Date().toISOString();
    for (let i = 0; i < cfg.streams; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, cfg.streams - i) }, async (_, k) => {
          const res = await fetch(
            `http://127.0.0.1:${gw.port}/admin/v1/streams/w${i + k}/schedule`,
            {
              method: 'PUT',
              headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
              body: JSON.stringify({ startAt, warmAt, expectedViewers: 1000 }),
            },
          );
          if (res.status !== 201) throw new Error(`schedule refused: ${res.status}`);
        }),
      );
    }
    const warmed = await waitUntil(
      async () =>
        metric(await fetchMetrics(gw.port), 'roar_scheduled_warm_streams') === cfg.streams,
      20_000,
      200,
    );
    if (!warmed) throw new Error('the gateway did not warm every stream');
    await sleep(2000);
    const redis = delta(redis0, await commandStats(b.redisPort));
    const rss1 = await gw.settledRss();
    const heap1 = await heap();
    const out = {
      streams: cfg.streams,
      rssBytesPerStream: Math.round((rss1 - rss0) / cfg.streams),
      heapBytesPerStream: Math.round((heap1 - heap0) / cfg.streams),
      busSubscriptionsPerStream: round(((await subs()) - subs0) / cfg.streams, 2),
      // Every command of the window, the admin API's writes and audit included.
      redisCommandsPerStream: round(redis.all / cfg.streams, 1),
      redisReadsPerStream: round(redis.reads / cfg.streams, 1),
    };
    ctx.log(`warm cost: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await gw?.proc.stop('SIGKILL');
    await b.stop();
  }
}
