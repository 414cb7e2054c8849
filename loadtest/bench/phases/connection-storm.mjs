// Section 4: a connection storm against one embedded gateway with its default admission control
// (1000/s, burst 2000, 19,000 connections, 1000 per address): `attempts` connects as fast as the
// generator can. Accepted viewers join one stream and stay; refusals must be 503 + Retry-After.
// During and after, the gateway's /metrics tells its event-loop delay and degradation level.
import { nowMs } from '../drivers/common.mjs';
import { LoadPool } from '../lib/pool.mjs';
import { sleep, waitUntil } from '../lib/proc.mjs';
import { fetchJson, fetchMetrics, metric, startServer } from '../lib/servers.mjs';
import { round } from '../lib/split.mjs';

export const STORM_ADMISSION = {
  ROAR_ADMISSION_RATE: '1000',
  ROAR_ADMISSION_BURST: '2000',
  ROAR_MAX_CONNECTIONS: '19000',
  ROAR_MAX_CONNECTIONS_PER_IP: '1000',
};

export async function runConnectionStorm(cfg, ctx) {
  const srv = await startServer('roar', { name: 'storm-gw', env: STORM_ADMISSION });
  const pool = new LoadPool('storm', cfg.workers);
  const samples = [];
  let sampling = true;
  const t0 = nowMs();
  const sampler = (async () => {
    while (sampling) {
      const at = nowMs();
      try {
        const m = await fetchMetrics(srv.port, 10_000);
        samples.push({
          s: round((at - t0) / 1000, 1),
          scrapeMs: Math.round(nowMs() - at),
          loopP99Ms: round(metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000, 1),
          loopMaxMs: round(metric(m, 'nodejs_eventloop_lag_max_seconds') * 1000, 1),
          level: metric(m, 'roar_degradation_level'),
          connections: metric(m, 'roar_connections'),
        });
      } catch (error) {
        samples.push({ s: round((at - t0) / 1000, 1), error: String(error.message ?? error) });
      }
      await sleep(500);
    }
  })();
  try {
    await sleep(1000);
    const t = nowMs();
    // Readings from the gateway's start until now (its startup's own loop delay) are not the storm's.
    const stormStartMs = t - t0;
    const result = await pool.open(
      cfg.attempts,
      {
        driver: 'roar-lite',
        host: '127.0.0.1',
        port: srv.port,
        stream: 'storm',
        idPrefix: `storm-${ctx.runId}`,
        perAddress: cfg.perAddress,
        concurrency: cfg.concurrency,
        timeBudgetMs: cfg.budgetMs,
        timeoutMs: 15_000,
      },
      cfg.budgetMs + 30_000,
    );
    const stormMs = nowMs() - t;
    ctx.log(
      `storm: ${cfg.attempts} attempts in ${Math.round(stormMs)} ms: ${JSON.stringify(result)}`,
    );
    // After: the count must settle on exactly the connections still open.
    await sleep(2000);
    const open = (await pool.stats()).open;
    let viewers;
    const settled = await waitUntil(
      async () => {
        viewers = (await fetchJson(`http://127.0.0.1:${srv.port}/v1/streams/storm/viewers`)).body;
        return viewers.total === open;
      },
      10_000,
      500,
    );
    await sleep(2000);
    sampling = false;
    await sampler;
    const health = await fetch(`http://127.0.0.1:${srv.port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    const m = await fetchMetrics(srv.port);
    // Each reading covers the time since the one before (the scrape resets the gateway's record).
    const read = samples.filter((x) => x.loopP99Ms !== undefined);
    const before = read.filter((x) => x.s * 1000 <= stormStartMs);
    const during = read.filter(
      (x) => x.s * 1000 > stormStartMs && x.s * 1000 <= stormStartMs + stormMs + 1000,
    );
    const after = read.filter((x) => x.s * 1000 > stormStartMs + stormMs + 1000);
    return {
      attempts: cfg.attempts,
      seconds: round(stormMs / 1000, 1),
      attemptsPerS: Math.round(cfg.attempts / (stormMs / 1000)),
      accepted: result.opened,
      refused: result.refused,
      refusedStatuses: result.statuses,
      refusedWithRetryAfter: result.retryAfter,
      errors: result.errors,
      notAttempted:
        cfg.attempts -
        result.opened -
        result.refused -
        Object.values(result.errors).reduce((a, b) => a + b, 0),
      openAfter: open,
      viewersTotal: viewers?.total,
      countSettled: Boolean(settled),
      gatewayConnections: metric(m, 'roar_connections'),
      refusedByReason: Object.fromEntries(
        (m.get('roar_admission_refused_total') ?? []).map((x) => [x.labels.reason, x.value]),
      ),
      stormStartS: round(stormStartMs / 1000, 1),
      loopP99MaxMsBefore: Math.max(0, ...before.map((x) => x.loopP99Ms)),
      loopP99MaxMsDuring: Math.max(0, ...during.map((x) => x.loopP99Ms)),
      loopMaxMsDuring: Math.max(0, ...during.map((x) => x.loopMaxMs)),
      loopP99MaxMsAfter: Math.max(0, ...after.map((x) => x.loopP99Ms)),
      maxLevel: Math.max(0, ...samples.map((x) => x.level ?? 0)),
      levelAfter: metric(m, 'roar_degradation_level'),
      scrapeErrors: samples.filter((x) => x.error).length,
      alive: srv.proc.running && health === 200,
      samples,
    };
  } finally {
    sampling = false;
    await sampler;
    await srv.proc.stop('SIGKILL');
    await pool.stop();
  }
}
