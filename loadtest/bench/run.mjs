#!/usr/bin/env node
// Roar's benchmark, one command: `npm run bench` (full, about 14 min), `-- --quick` (~2 min
// smoke), `-- --smoke` (the test's ~20 s slice), `-- --storm` (the chat storm alone, ~2 min).
// Loopback only; every child process is tracked and killed on any exit. Writes
// loadtest/RESULTS.md and loadtest/results.svg (or --out <dir>).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BackgroundMeter } from './lib/background.mjs';
import { installCleanup, killAll } from './lib/proc.mjs';
import { ROAR_BENCH_SETTINGS, ROOT } from './lib/servers.mjs';
import { MODES } from './modes.mjs';
import { runServer } from './phases/servers.mjs';
import { runPaired } from './phases/paired.mjs';
import { runCluster } from './phases/cluster.mjs';
import { runConnectionStorm } from './phases/connection-storm.mjs';
import { runAggregator } from './phases/aggregator.mjs';
import { runProfile } from './phases/profile.mjs';
import { runHooks, runWebhooks } from './phases/integrations.mjs';
import { runRelay } from './phases/relay.mjs';
import { runFairAdmission, runToss, runWarmCost } from './phases/scheduled.mjs';
import { runLog } from './log.mjs';
import { runWidgets } from './phases/widgets.mjs';
import { runQa } from './phases/qa.mjs';
// Polls
import { runPolls } from './phases/polls.mjs';
import { writeReport } from './report.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    storm: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
const modeName = values.smoke ? 'smoke' : values.quick ? 'quick' : values.storm ? 'storm' : 'full';
const mode = MODES[modeName];
const only = values.only ? new Set(values.only.split(',')) : undefined;
const outDir = values.out ?? `${ROOT}loadtest`;
const rawDir = values.out ?? `${ROOT}loadtest/out`;

installCleanup();
const background = new BackgroundMeter();
const started = Date.now();
const deadline = started + mode.deadlineMs;
const runId = Math.random().toString(36).slice(2, 8);
const ctx = {
  runId,
  deadline,
  left: () => deadline - Date.now(),
  log: (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`),
};
// The last resort: the whole run never outlives its budget, whatever a phase does.
const hardStop = setTimeout(() => {
  console.error('bench: hard deadline reached, stopping');
  killAll();
  process.exit(3);
}, mode.deadlineMs + 45_000);
hardStop.unref();

const results = (ctx.results = {
  mode: modeName,
  machine: machine(),
  settings: { roar: ROAR_BENCH_SETTINGS },
  config: mode,
  servers: [],
  phases: {},
  errors: [],
});

async function phase(name, fn) {
  if (only && !only.has(name)) return;
  const budget = mode.budgets[name] ?? 60_000;
  if (ctx.left() < Math.min(budget, 20_000)) {
    results.errors.push(`${name}: skipped, the global deadline is near`);
    ctx.log(`${name}: skipped (deadline)`);
    return;
  }
  ctx.log(`${name}: start`);
  const t = Date.now();
  try {
    await fn();
  } catch (error) {
    results.errors.push(`${name}: ${error.stack ?? error}`);
    ctx.log(`${name}: FAILED ${error.stack ?? error}`);
  } finally {
    killAll();
  }
  ctx.log(`${name}: done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

for (const kind of mode.servers.kinds) {
  await phase(`server-${kind}`, async () => {
    results.servers.push(await runServer(kind, mode.servers, ctx));
  });
}
if (mode.servers?.paired)
  await phase('paired', async () => (results.phases.paired = await runPaired(mode.servers, ctx)));
if (mode.cluster)
  await phase(
    'cluster',
    async () => (results.phases.cluster = await runCluster(mode.cluster, ctx)),
  );
if (mode.connectionStorm)
  await phase(
    'connection-storm',
    async () =>
      (results.phases.connectionStorm = await runConnectionStorm(mode.connectionStorm, ctx)),
  );
if (mode.aggregator)
  await phase(
    'aggregator',
    async () => (results.phases.aggregator = await runAggregator(mode.aggregator, ctx)),
  );
// The core sections first (fanout, cluster, storms, aggregation, the profile); then each
// feature's own, so a deadline never cuts the core.
if (mode.profile)
  await phase(
    'profile',
    async () => (results.phases.profile = await runProfile(mode.profile, results, ctx)),
  );
if (mode.hooks)
  await phase('hooks', async () => (results.phases.hooks = await runHooks(mode.hooks, ctx)));
if (mode.webhooks)
  await phase(
    'webhooks',
    async () => (results.phases.webhooks = await runWebhooks(mode.webhooks, ctx)),
  );
if (mode.toss)
  await phase('toss', async () => (results.phases.toss = await runToss(mode.toss, ctx)));
if (mode.fairAdmission)
  await phase(
    'fair-admission',
    async () => (results.phases.fairAdmission = await runFairAdmission(mode.fairAdmission, ctx)),
  );
if (mode.warmCost)
  await phase(
    'warm-cost',
    async () => (results.phases.warmCost = await runWarmCost(mode.warmCost, ctx)),
  );
if (mode.log) await phase('log', async () => (results.phases.log = await runLog(mode.log, ctx)));
// Q&A (issue 14): `--only qa` runs it alone.
if (mode.qa) await phase('qa', async () => (results.phases.qa = await runQa(mode.qa, ctx)));
// Polls
if (mode.polls)
  await phase('polls', async () => (results.phases.polls = await runPolls(mode.polls, ctx)));

// Last, so it never takes time from the sections above when the deadline is near.
if (mode.relay)
  await phase('relay', async () => (results.phases.relay = await runRelay(mode.relay, ctx)));
// Live widgets (issue 14): `--only widgets` runs it alone; the smoke slice only when asked.
// Last, so the sections before it keep the time they had.
if (mode.widgets && (modeName !== 'smoke' || only?.has('widgets')))
  await phase(
    'widgets',
    async () => (results.phases.widgets = await runWidgets(mode.widgets, ctx)),
  );

results.elapsedS = Math.round((Date.now() - started) / 1000);
results.background = background.stop();
mkdirSync(rawDir, { recursive: true });
writeFileSync(`${rawDir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
writeReport(results, outDir);
ctx.log(
  `wrote ${outDir}/RESULTS.md, ${outDir}/results.svg and ${rawDir}/results.json in ${results.elapsedS} s`,
);
process.exit(results.errors.length > 0 ? 1 : 0);

function machine() {
  const cpuinfo = (() => {
    try {
      return execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], {
        encoding: 'utf8',
      }).trim();
    } catch {
      return os.cpus()[0]?.model ?? 'unknown';
    }
  })();
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: cpuinfo,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain']) !== '',
    openFiles: execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim(),
  };
}
