// Sections 2b and 3: Roar as deployed — several gateway processes (ROAR_MODE=gateway,
// ROAR_WORKERS=1, one core's worth each) over a real nats-server and redis-server started here on
// free ports, and the aggregator service. First the count freshness at `freshViewers` viewers of
// one stream, then memory with `totalConnections` connections across all the gateways.
import { nowMs } from '../drivers/common.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { startAggregator, startBrokers, startGateways } from '../lib/brokers.mjs';
import { INSPECT_ARGS, inspectorUrl } from '../lib/inspector.mjs';
import { growth, takeSummary } from '../lib/heap-snapshot.mjs';
import { LoadPool, mergeOpen } from '../lib/pool.mjs';
import { procUsage, sleep, waitUntil } from '../lib/proc.mjs';
import { fetchMetrics, ladderChanges, metric, startServer } from '../lib/servers.mjs';
import { round, split } from '../lib/split.mjs';

export async function runCluster(cfg, ctx) {
  const out = { gateways: cfg.gateways, notes: [] };
  const brokers = await startBrokers();
  const { nats, redis } = brokers;
  const shared = { ...brokers.env, ROAR_PREFIX: `bench${ctx.runId}`, ROAR_LOG_LEVEL: 'info' };
  const aggregator = await startAggregator(shared);
  const gateways = await startGateways(cfg.gateways, {
    name: 'gw',
    nodeArgs: INSPECT_ARGS,
    env: shared,
  });
  const viewers = new LoadPool('cluster-viewers', cfg.viewerWorkers);
  const joiner = new LoadPool('cluster-joiner', 1);
  const load = viewers.workers.map(() => 0);
  try {
    await sleep(1000);
    const rawRss0 = gateways.map((g) => procUsage(g.pid).rssBytes);
    const rss0 = await Promise.all(gateways.map((g) => g.settledRss()));
    const heap0 = await heapUsed(gateways);

    // Count freshness: `freshViewers` on the first `freshGateways` gateways, one stream.
    const freshPer = split(cfg.freshViewers, cfg.freshGateways);
    const t = nowMs();
    const fresh = await openOn(
      viewers,
      load,
      gateways.slice(0, cfg.freshGateways),
      freshPer,
      'fresh',
      ctx,
      cfg,
    );
    out.freshOpen = { ...fresh, ms: Math.round(nowMs() - t) };
    ctx.log(
      `cluster: ${fresh.opened} viewers of "fresh" on ${cfg.freshGateways} gateways in ${out.freshOpen.ms} ms`,
    );
    const base = fresh.opened;
    const baseline = await waitAllSee(viewers, base, 30_000);
    out.baselineSeenMs = baseline === undefined ? undefined : Math.round(baseline - t);
    if (baseline === undefined)
      out.notes.push(`not every viewer saw the total ${base} within 30 s`);
    out.joins = [];
    for (let j = 1; j <= cfg.joins && ctx.left() > 20_000; j++) {
      // A random phase against the gateways' 1 s report and the aggregator's 1 s publish.
      await sleep(500 + Math.random() * 1000);
      const target = base + j;
      await viewers.all('watch', { target });
      const gw = gateways[j % cfg.freshGateways];
      const sentAt = nowMs();
      const r = await joiner.workers[0].request('open', {
        driver: 'roar',
        host: '127.0.0.1',
        port: gw.port,
        count: 1,
        stream: 'fresh',
        idPrefix: `joiner-${ctx.runId}-${j}`,
        counted: false,
        ...addressesFor(1),
      });
      if (r.opened !== 1) throw new Error(`joiner ${j} failed: ${JSON.stringify(r)}`);
      const seenAt = await waitAllSee(viewers, target, 15_000, true);
      const first =
        seenAt === undefined
          ? undefined
          : Math.min(...(await viewers.all('watchStatus')).map((s) => s.firstAt ?? Infinity));
      out.joins.push(
        seenAt === undefined
          ? { target, ms: null }
          : { target, ms: Math.round(seenAt - sentAt), firstMs: Math.round(first - sentAt) },
      );
      ctx.log(
        `cluster: join ${j}: every viewer saw ${target} after ` +
          `${seenAt === undefined ? '> 15000' : Math.round(seenAt - sentAt)} ms ` +
          `(the first after ${first === undefined ? '–' : Math.round(first - sentAt)} ms)`,
      );
    }
    const levels = await Promise.all(
      gateways.map((g) => fetchMetrics(g.port).then((m) => metric(m, 'roar_degradation_level'))),
    );
    out.levelsAfterJoins = levels;

    // Memory: fill the remaining gateways up to `totalConnections` in all.
    if (ctx.left() > 40_000) {
      const rest = cfg.totalConnections - base - out.joins.length;
      const t2 = nowMs();
      const more = await openOn(
        viewers,
        load,
        gateways.slice(cfg.freshGateways),
        split(rest, cfg.gateways - cfg.freshGateways),
        'idle',
        ctx,
        cfg,
      );
      out.idleOpen = { ...more, ms: Math.round(nowMs() - t2) };
      ctx.log(
        `cluster: ${more.opened} more viewers on ${cfg.gateways - cfg.freshGateways} gateways in ${out.idleOpen.ms} ms`,
      );
      await sleep(3000);
      const rawRss1 = gateways.map((g) => procUsage(g.pid).rssBytes);
      const rss1 = await Promise.all(gateways.map((g) => g.settledRss()));
      const conns = await Promise.all(
        gateways.map((g) => fetchMetrics(g.port).then((m) => metric(m, 'roar_connections'))),
      );
      const total = conns.reduce((a, b) => a + b, 0);
      const delta = rss1.reduce((a, b, i) => a + b - rss0[i], 0);
      const heap1 = await heapUsed(gateways);
      out.memory = {
        connections: total,
        perGateway: conns,
        rssTotalMB: round(rss1.reduce((a, b) => a + b, 0) / 2 ** 20, 1),
        rssBaseMB: round(rss0.reduce((a, b) => a + b, 0) / 2 ** 20, 1),
        bytesPerConnection: Math.round(delta / Math.max(1, total)),
        rawBytesPerConnection: Math.round(
          rawRss1.reduce((a, b, i) => a + b - rawRss0[i], 0) / Math.max(1, total),
        ),
        perGatewayBytesPerConnection: rss1.map((b, i) =>
          Math.round((b - rss0[i]) / Math.max(1, conns[i])),
        ),
        heapBytesPerConnection: Math.round(
          heap1.reduce((a, b, i) => a + b - heap0[i], 0) / Math.max(1, total),
        ),
        totalBytesPerConnection: Math.round(rss1.reduce((a, b) => a + b, 0) / Math.max(1, total)),
        natsMB: round(procUsage(nats.pid).rssBytes / 2 ** 20, 1),
        redisMB: round(procUsage(redis.pid).rssBytes / 2 ** 20, 1),
        aggregatorMB: round(procUsage(aggregator.pid).rssBytes / 2 ** 20, 1),
      };
      ctx.log(`cluster memory: ${JSON.stringify(out.memory)}`);
    } else {
      out.notes.push('100k memory step skipped: global deadline');
    }
    const missed =
      (out.memory?.bytesPerConnection ?? 0) > 2048 ||
      (ctx.results?.servers ?? []).some(
        (x) => x.kind === 'roar' && x.memory?.bytesPerConnection > 2048,
      );
    if (missed && cfg.heapViewers && ctx.left() > 60_000) {
      out.heap = await heapDiff(shared, cfg.heapViewers, ctx);
      ctx.log(`cluster: heap per connection ${Math.round(out.heap.totalPer)} B`);
    }
    const degradations = gateways.flatMap((g) =>
      [...g.proc.output.matchAll(/"msg":"degradation level changed"[^\n]*/g)].map((m) => m[0]),
    );
    out.degradationChanges = degradations.length;
    out.ladderChanges = gateways.map((g) => ladderChanges(g.proc.output));
  } finally {
    for (const g of gateways) g.proc.child.kill('SIGKILL');
    await Promise.all([viewers.stop(), joiner.stop()]);
    await Promise.all([aggregator.stop('SIGTERM', 3000), brokers.stop('SIGTERM', 3000)]);
  }
  return out;
}

/** Opens `counts[i]` viewers on `targets[i]`, in pieces spread over the least-loaded workers. */
async function openOn(pool, load, targets, counts, stream, ctx, cfg) {
  const PIECE = 4200;
  const jobs = [];
  targets.forEach((gw, g) => {
    for (const n of split(counts[g], Math.ceil(counts[g] / PIECE))) {
      const w = load.indexOf(Math.min(...load));
      load[w] += n;
      jobs.push(
        pool.workers[w].request(
          'open',
          {
            driver: 'roar-lite',
            host: '127.0.0.1',
            port: gw.port,
            count: n,
            stream,
            idPrefix: `${stream}-${ctx.runId}-${g}-${jobs.length}`,
            ...addressesFor(n),
            concurrency: 48,
            timeBudgetMs: cfg.openBudgetMs,
          },
          cfg.openBudgetMs + 30_000,
        ),
      );
    }
  });
  return mergeOpen(await Promise.all(jobs));
}

/**
 * The memory target missed: what a connection holds on the JS heap of a gateway, from two heap
 * snapshots of one more gateway process (kept out of the RSS figures, since taking a snapshot
 * leaves native memory behind) before and after `n` idle viewers join.
 */
async function heapDiff(shared, n, ctx) {
  const gw = await startServer('roar', {
    name: 'gw-heap',
    nodeArgs: INSPECT_ARGS,
    env: { ...shared, ROAR_MODE: 'gateway', ROAR_WORKERS: '1' },
  });
  const pool = new LoadPool('heap-viewers', 1);
  try {
    await sleep(1000);
    const url = inspectorUrl(gw.proc.output);
    const before = await takeSummary(url);
    const opened = await pool.workers[0].request(
      'open',
      {
        driver: 'roar-lite',
        host: '127.0.0.1',
        port: gw.port,
        count: n,
        stream: 'idle',
        idPrefix: `heap-${ctx.runId}`,
        ...addressesFor(n),
        concurrency: 48,
      },
      60_000,
    );
    await sleep(2000);
    const after = await takeSummary(url);
    return { connections: opened.opened, ...growth(before, after, opened.opened, 14) };
  } finally {
    await gw.proc.stop('SIGKILL');
    await pool.stop();
  }
}

const heapUsed = (gateways) =>
  Promise.all(
    gateways.map((g) => fetchMetrics(g.port).then((m) => metric(m, 'nodejs_heap_size_used_bytes'))),
  );

/** When every counted viewer has seen a total of at least `target` (their latest reachedAt), or undefined. */
async function waitAllSee(pool, target, timeoutMs, armed = false) {
  if (!armed) await pool.all('watch', { target });
  const done = await waitUntil(
    async () => {
      const list = await pool.all('watchStatus');
      if (list.every((s) => s.reached >= s.of)) return list;
      return undefined;
    },
    timeoutMs,
    50,
  );
  if (!done) return undefined;
  return Math.max(...done.map((s) => s.reachedAt ?? 0));
}
