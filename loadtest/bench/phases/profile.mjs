// When a CPU target is missed: the same load again on Roar under `node --cpu-prof`, then the top
// self-time functions of the fanout window and of the storm window (the profile's clock is the
// monotonic clock process.hrtime reads, so windows are cut from one profile).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mintToken } from '../drivers/roar.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { jsSelfTime, summarize } from '../lib/cpuprofile.mjs';
import { LoadPool } from '../lib/pool.mjs';
import { sleep } from '../lib/proc.mjs';
import { JWT_SECRET, ROOT, startServer } from '../lib/servers.mjs';
import { split } from '../lib/split.mjs';
import { evaluateTargets } from '../lib/targets.mjs';
import { chatStorm, fanoutStep, reduceTo, settleLadder, warmUp } from './servers.mjs';

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(cfg, results, ctx) {
  const missed = evaluateTargets(results).filter((t) => t.cpu && !t.pass);
  if (missed.length === 0 && !cfg.always) return { skipped: 'every CPU target passed' };
  const dir = `${ROOT}loadtest/out/profile-${ctx.runId}`;
  // Only the latest run's profile is kept (they are tens of MB for long runs).
  mkdirSync(`${ROOT}loadtest/out`, { recursive: true });
  for (const old of readdirSync(`${ROOT}loadtest/out`, { withFileTypes: true })) {
    if (old.isDirectory() && old.name.startsWith('profile-')) {
      rmSync(`${ROOT}loadtest/out/${old.name}`, { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  const srv = await startServer('roar', {
    name: 'roar-profiled',
    // The default 1 ms sampling: at 250 µs the profiler's own interrupts tripled the storm's CPU.
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  const workers = Math.max(1, Math.ceil(cfg.viewers / 5000));
  const viewers = new LoadPool('profile-viewers', workers);
  const pub = new LoadPool('profile-pub', 1);
  const held = split(cfg.viewers, workers);
  const windows = {};
  const out = { missed: missed.map((t) => t.id), dir: dir.slice(ROOT.length), windows: {} };
  try {
    await viewers.open(
      cfg.viewers,
      {
        driver: 'roar',
        host: '127.0.0.1',
        port: srv.port,
        stream: 'bench',
        idPrefix: `prof-${ctx.runId}`,
        concurrency: 64,
        timeBudgetMs: 40_000,
      },
      70_000,
    );
    await pub.workers[0].request('open', {
      driver: 'roar',
      host: '127.0.0.1',
      port: srv.port,
      count: 20,
      stream: 'bench',
      idPrefix: `prof-${ctx.runId}-chatter`,
      tokens: Array.from({ length: 20 }, (_, i) => mintToken(JWT_SECRET, `chatter-${i}`)),
      counted: false,
      ...addressesFor(20),
      concurrency: 20,
    });
    if (cfg.warmup) await warmUp('roar', srv, cfg.warmup, ctx);
    const note = {};
    await settleLadder('roar', srv, { ladderWaitMs: 15_000 }, note);
    let t = hrUs();
    out.fanout = await fanoutStep({
      kind: 'roar',
      srv,
      viewers,
      pub,
      n: cfg.viewers,
      rate: cfg.rate,
      cfg: { minMessages: 6, stepSeconds: cfg.seconds, graceMs: 1500 },
    });
    windows.fanout = [t, hrUs()];
    await reduceTo(viewers, held, cfg.storm.viewers);
    await sleep(1000);
    await settleLadder('roar', srv, { ladderWaitMs: 10_000 }, note);
    t = hrUs();
    out.storm = await chatStorm({
      kind: 'roar',
      srv,
      viewers,
      pub,
      n: cfg.storm.viewers,
      cfg: { ...cfg.storm, graceMs: 1000 },
    });
    windows.storm = [t, hrUs()];
    out.ladder = note.ladder;
  } finally {
    // SIGTERM: the gateway exits by itself, and node writes the profile on the way out.
    await srv.proc.stop('SIGTERM', 20_000);
    await Promise.all([viewers.stop(), pub.stop()]);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  out.file = `${out.dir}/${file}`;
  for (const [name, [fromUs, toUs]] of Object.entries(windows)) {
    const w = summarize(`${dir}/${file}`, { fromUs, toUs, top: 15 });
    // JavaScript's share of the server's CPU in the window: V8 samples JS and GC; uWS's native
    // publish loop and the kernel's socket writes mostly show as idle time to it.
    out.windows[name] = {
      ...w,
      windowS: (toUs - fromUs) / 1e6,
      jsS: (w.busyShare * (toUs - fromUs)) / 1e6,
    };
  }
  // JavaScript per accepted chat in the storm: its window less the same gateway's rest before it.
  const storm = out.storm;
  if (storm?.windows && storm.roar?.chatAccepted > 0) {
    const [rf, rt] = storm.windows.rest;
    const [sf, stTo] = storm.windows.storm;
    const w = jsSelfTime(`${dir}/${file}`, { fromUs: sf, toUs: stTo });
    const r = jsSelfTime(`${dir}/${file}`, { fromUs: rf, toUs: rt });
    const k = (stTo - sf) / Math.max(1, rt - rf);
    const per = (x, y) => Math.round(((x - y * k) * 10_000) / storm.roar.chatAccepted) / 10;
    out.stormJs = {
      intervalUs: w.intervalUs,
      jsUsPerChat: per(w.jsMs, r.jsMs),
      gcUsPerChat: per(w.gcMs, r.gcMs),
      programUsPerChat: per(w.programMs, r.programMs),
    };
  }
  ctx.log(`profile: ${out.file}`);
  return out;
}
