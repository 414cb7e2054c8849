// CPU per frame, Roar and bare uWS alternated: both servers up at once with the same audience,
// each step of one followed by the same step of the other (Roar, uWS, uWS, Roar at each rate), so
// the comparison is not moved by the machine's speed drifting between sections run minutes apart
// (on this shared VM bare uWS's own figure moved from 12.3 to 7.3 CPU-s per M frames between two
// runs while Roar's stayed near 10–11). Section 1 still measures each server in its own section.
import { sleep } from '../lib/proc.mjs';
import {
  closeRun,
  fanoutStep,
  growTo,
  openChatters,
  openRun,
  settleLadder,
  warmUp,
} from './servers.mjs';

const KINDS = ['roar', 'uws'];
/** Each rate's steps, in order: the first server, the other twice, the first again (ABBA). */
const ORDER = [0, 1, 1, 0];

/**
 * `cfg`: the servers section's settings (viewer workers, chatters, warm-up, step length), and
 * `cfg.paired.sets`: `{ n, rates, roarEnv? }` each.
 */
export async function runPaired(cfg, ctx) {
  const out = { sets: [], notes: [] };
  for (const set of cfg.paired.sets) {
    if (ctx.left() < cfg.stepReserveMs * set.rates.length * ORDER.length) {
      out.notes.push(`alternated fanout at ${set.n} viewers skipped: global deadline`);
      continue;
    }
    const runs = [];
    try {
      for (const kind of KINDS) {
        const options = kind === 'roar' && set.roarEnv ? { env: set.roarEnv } : {};
        const run = await openRun(kind, cfg, ctx, options);
        runs.push(run);
        await growTo(run.viewers, run.held, set.n, { kind, srv: run.srv, cfg, ctx });
        await openChatters(run, cfg, ctx);
        if (cfg.warmup) await warmUp(kind, run.srv, cfg.warmup, ctx);
      }
      await sleep(1000);
      // A short burst to each audience first, not measured, as the ramp does: the warm-up's stream
      // has no viewers, so the fanout path to them would otherwise run cold in the first step
      // (Roar's first step read 12.0 CPU-s per M frames against 8.3–10.0 for the later ones).
      const warm = { ...cfg, stepSeconds: 1, minMessages: 3 };
      for (const run of runs) {
        const { kind, srv, viewers, pub } = run;
        await fanoutStep({ kind, srv, viewers, pub, n: set.n, rate: set.rates[0], cfg: warm });
      }
      const steps = [];
      for (const rate of set.rates) {
        for (const i of ORDER) {
          const run = runs[i];
          await settleLadder(run.kind, run.srv, cfg, out);
          const step = await fanoutStep({
            kind: run.kind,
            srv: run.srv,
            viewers: run.viewers,
            pub: run.pub,
            n: set.n,
            rate,
            cfg,
          });
          steps.push({ kind: run.kind, ...step });
          ctx.log(
            `alternated ${run.kind} n=${set.n} rate=${rate}/s: ${step.cpuSPerMillionFrames} CPU-s/M frames, ` +
              `delivered ${step.deliveryRatio}, p99 ${step.p99Ms} ms`,
          );
        }
      }
      out.sets.push({ n: set.n, rates: set.rates, steps, pooled: pool(steps) });
    } finally {
      for (const run of runs) await closeRun(run, out);
    }
  }
  return out;
}

/**
 * Each server's CPU per frame pooled over its steps (Σ CPU / Σ frames), counted only when every
 * step of both delivered ≥ 95% (else undefined: a server behind its load merges frames).
 */
function pool(steps) {
  if (steps.some((s) => s.deliveryRatio < 0.95)) return undefined;
  const kinds = {};
  for (const kind of KINDS) {
    const mine = steps.filter((s) => s.kind === kind);
    const cpu = mine.reduce((a, s) => a + s.serverCpuS, 0);
    const frames = mine.reduce((a, s) => a + s.frames, 0);
    kinds[kind] = { cpuSPerMillionFrames: (cpu / frames) * 1e6, cpuS: cpu, frames };
  }
  return kinds;
}
