// Section 9: backend hooks and webhooks. `hooks`: backend requests per 10,000 joins at the toss
// (the gateway's join hook: cache, coalescing, batching). `webhooks`: events per webhook request
// under a chat storm (memory log, and JetStream with a durable consumer). Runnable alone:
// `node loadtest/bench/run.mjs --only hooks,webhooks` (after `npm run build`).
import { fileURLToPath } from 'node:url';
import { forkChild } from '../lib/proc.mjs';
import { round } from '../lib/split.mjs';

const CHILD = fileURLToPath(new URL('./integrations-child.mjs', import.meta.url));

async function inChild(kind, cfg, budgetMs) {
  const child = forkChild(`${kind}-bench`, CHILD, [JSON.stringify({ kind, cfg })]);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} bench timed out`)), budgetMs);
      child.child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.exited.then(({ code }) =>
        reject(new Error(`${kind} bench exited (${code}):\n${child.tail()}`)),
      );
    });
  } finally {
    await child.stop('SIGKILL');
  }
}

export async function runHooks(cfg, ctx) {
  const runs = await inChild('hooks', cfg, 60_000);
  for (const r of runs)
    ctx.log(`hooks: ${r.requests} backend requests for ${r.joins} joins by ${r.viewers} viewers`);
  return runs.map((r) => ({
    ...r,
    requestsPer10kJoins: round(r.requestsPer10kJoins, 1),
    meanChecksPerRequest: round(r.meanChecksPerRequest, 1),
    p99DecisionMs: round(r.p99DecisionMs, 1),
    elapsedMs: Math.round(r.elapsedMs),
    spreadMs: cfg.spreadMs,
    appLatencyMs: cfg.appLatencyMs,
  }));
}

export async function runWebhooks(cfg, ctx) {
  const runs = await inChild('webhooks', cfg, cfg.seconds * 2000 + 90_000);
  for (const [log, r] of Object.entries(runs))
    ctx.log(
      `webhooks (${log}): ${round(r.stormEventsPerRequest, 1)} events per request in the storm`,
    );
  return {
    ratePerS: cfg.ratePerS,
    seconds: cfg.seconds,
    streams: cfg.streams,
    receiverLatencyMs: cfg.receiverLatencyMs,
    maxBatch: cfg.dispatch.maxBatch,
    minIntervalMs: cfg.dispatch.minIntervalMs,
    runs: Object.fromEntries(
      Object.entries(runs).map(([log, r]) => [
        log,
        {
          ...r,
          meanEventsPerRequest: round(r.meanEventsPerRequest, 1),
          stormEventsPerRequest: round(r.stormEventsPerRequest, 1),
        },
      ]),
    ),
  };
}
