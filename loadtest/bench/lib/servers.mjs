// Starting the servers under test, reading their port back, and reading Roar's /metrics.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { collectGarbage, inspectorUrl } from './inspector.mjs';
import { procUsage, sleep, spawnChild } from './proc.mjs';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const GATEWAY_MAIN = `${ROOT}services/gateway/dist/main.js`;
export const AGGREGATOR_MAIN = `${ROOT}services/aggregator/dist/main.js`;
const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));

export const JWT_SECRET = randomBytes(32).toString('base64url');

/**
 * Roar with every feature on (anonymous viewers, sampling, slow-client handling, the ladder),
 * and only these limits raised for the bench: admission (the bench connects thousands per
 * second from a few addresses), the connection cap (19.5k: a process holds 20,000 files here),
 * and the chat rate per user (20 chatters carry up to 200 msg/s). The drain window is 0 so a
 * stop takes no 10 s; it is never measured.
 */
export function roarEnv(overrides = {}) {
  return {
    ROAR_MODE: 'embedded',
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ROAR_LOG_LEVEL: 'info',
    ROAR_JWT_SECRET: JWT_SECRET,
    ROAR_CHAT_RATE: '20',
    ROAR_CHAT_BURST: '40',
    ROAR_ADMISSION_RATE: '100000',
    ROAR_ADMISSION_BURST: '100000',
    ROAR_MAX_CONNECTIONS: '19500',
    ROAR_MAX_CONNECTIONS_PER_IP: '100000',
    // Every simulated viewer comes from loopback; in production each has its own address.
    ROAR_ANON_IDS_PER_IP: '1000000',
    ROAR_DRAIN_WINDOW_MS: '0',
    ...overrides,
  };
}

/** Bench-only settings, listed in RESULTS.md. */
export const ROAR_BENCH_SETTINGS = Object.fromEntries(
  Object.entries(roarEnv()).filter(
    ([k]) => !['ROAR_JWT_SECRET', 'ROAR_PORT', 'ROAR_LOG_LEVEL'].includes(k),
  ),
);

/**
 * Starts one server under test; resolves once it listens, with its port. `main` (or the
 * orchestrator's `BENCH_GATEWAY_MAIN`): another build of the gateway to run, to compare two
 * builds on the same bench.
 */
export async function startServer(kind, { env = {}, nodeArgs = [], name = kind, main } = {}) {
  let proc;
  let pattern;
  if (kind === 'roar') {
    const args = [...nodeArgs, main ?? process.env.BENCH_GATEWAY_MAIN ?? GATEWAY_MAIN];
    proc = spawnChild(name, process.execPath, args, { env: roarEnv(env) });
    pattern = /"msg":"gateway listening"[^\n]*?"port":(\d+)/;
  } else {
    proc = spawnChild(name, process.execPath, [...nodeArgs, `${SERVERS}${kind}.mjs`], { env });
    pattern = /"msg":"listening","port":(\d+)/;
  }
  const match = await proc.waitFor(pattern, 20_000);
  const server = { kind, proc, pid: proc.pid, port: Number(match[1]) };
  /** Full GC then RSS (needs INSPECT_ARGS among nodeArgs), else RSS as it is. */
  server.settledRss = async () => {
    const url = inspectorUrl(proc.output);
    if (url) await collectGarbage(url);
    await sleep(200);
    return procUsage(proc.pid).rssBytes;
  };
  return server;
}

/** Prometheus text → Map of metric name → [{labels, value}]. */
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[k] = v;
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1]).push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric over label sets that match `where`. */
export function metric(map, name, where = {}) {
  let total = 0;
  for (const { labels, value } of map.get(name) ?? []) {
    if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += value;
  }
  return total;
}

export async function fetchMetrics(port, timeoutMs = 5000) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  return parseMetrics(await res.text());
}

export async function fetchJson(url, timeoutMs = 5000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.json() };
}

/** The degradation-level changes a Roar process logged: when, from what to what, and why. */
export function ladderChanges(output) {
  const out = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"degradation level changed"')) continue;
    try {
      const m = JSON.parse(line);
      // The logger's own "level" key is overwritten by the field of the same name.
      out.push({ t: m.t, from: m.previous, to: m.level, why: m.why });
    } catch {
      out.push({ t: undefined, from: undefined, to: undefined, why: line.slice(0, 200) });
    }
  }
  return out;
}

/**
 * A quantile of what a Prometheus histogram observed between two scrapes (`m0` may be undefined:
 * since the start), as the upper edge of the bucket it falls in, or with `interpolate` linearly
 * within that bucket; undefined with no observation. `where`: label values the series must have.
 */
export function histogramQuantile(m0, m1, name, q, where = {}, interpolate = false) {
  const of = ({ labels }) => Object.entries(where).every(([k, v]) => labels[k] === v);
  const buckets = (m) =>
    new Map(
      (m?.get(`${name}_bucket`) ?? []).filter(of).map(({ labels, value }) => [labels.le, value]),
    );
  const b0 = buckets(m0);
  const rows = [...buckets(m1)]
    .map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n: n - (b0.get(le) ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = rows.at(-1)?.n ?? 0;
  if (total <= 0) return undefined;
  const i = rows.findIndex((r) => r.n >= q * total);
  const row = rows[i];
  if (!interpolate || !row || row.le === Infinity) return row?.le;
  // Linear within the bucket, as Prometheus's histogram_quantile does.
  const below = rows[i - 1] ?? { le: 0, n: 0 };
  const inBucket = row.n - below.n;
  return below.le + (row.le - below.le) * (inBucket > 0 ? (q * total - below.n) / inBucket : 1);
}
