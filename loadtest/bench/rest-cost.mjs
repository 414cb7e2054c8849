#!/usr/bin/env node
// What a gateway costs at rest: idle viewers connected and joined, nothing sent. Per window, the
// CPU of every thread and of the main thread (schedstat) and the main thread's event-loop
// wake-ups (voluntary context switches: each is one wait in epoll that ended), per second.
// Several windows, so the spread shows on a shared machine.
//   node loadtest/bench/rest-cost.mjs [--viewers 1000] [--streams 1] [--windows 5]
//     [--window-ms 5000] [--settle-ms 3000] [--env KEY=VALUE ...] [--node-arg ARG ...]
//     [--main path/to/gateway/dist/main.js] [--json out.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LoadPool } from './lib/pool.mjs';
import { installCleanup, killAll, sleep } from './lib/proc.mjs';
import { startServer } from './lib/servers.mjs';
import { sampleDiff, threadSample } from './lib/wakeups.mjs';

const { values: opt } = parseArgs({
  options: {
    viewers: { type: 'string', default: '1000' },
    streams: { type: 'string', default: '1' },
    windows: { type: 'string', default: '5' },
    'window-ms': { type: 'string', default: '5000' },
    'settle-ms': { type: 'string', default: '3000' },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    main: { type: 'string' },
    json: { type: 'string' },
  },
});
const VIEWERS = Number(opt.viewers);
const STREAMS = Math.max(1, Number(opt.streams));
const WINDOWS = Math.min(60, Number(opt.windows));
const WINDOW_MS = Math.min(60_000, Number(opt['window-ms']));
const env = Object.fromEntries(
  opt.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const r1 = (x) => Math.round(x * 10) / 10;
const log = (msg) => console.log(`[rest-cost] ${msg}`);

installCleanup();

async function main() {
  const srv = await startServer('roar', {
    name: 'roar-rest',
    env,
    nodeArgs: opt['node-arg'],
    main: opt.main,
  });
  const pools = [];
  try {
    for (let s = 0; s < STREAMS; s++) {
      const pool = new LoadPool(`rest-${s}`, 1);
      pools.push(pool);
      const n = Math.floor(VIEWERS / STREAMS) + (s < VIEWERS % STREAMS ? 1 : 0);
      const opened = await pool.open(
        n,
        {
          driver: 'roar',
          host: '127.0.0.1',
          port: srv.port,
          stream: `rest-${s}`,
          idPrefix: `v${s}`,
          concurrency: 64,
        },
        60_000,
      );
      if (opened.opened < n) throw new Error(`viewers: ${JSON.stringify(opened)}`);
    }
    log(`${VIEWERS} viewers on ${STREAMS} stream(s); settling ${opt['settle-ms']} ms`);
    await sleep(Number(opt['settle-ms']));
    const windows = [];
    for (let i = 0; i < WINDOWS; i++) {
      await Promise.all(pools.map((p) => p.all('reset', {})));
      const a = threadSample(srv.pid);
      await sleep(WINDOW_MS);
      const d = sampleDiff(a, threadSample(srv.pid));
      let frames = 0;
      for (const p of pools) frames += (await p.count()).frames;
      const w = {
        cpuMsPerS: r1(d.allMs / d.s),
        mainMsPerS: r1(d.mainMs / d.s),
        wakeUpsPerS: r1(d.vol / d.s),
        preemptionsPerS: r1(d.invol / d.s),
        // What the viewers were sent meanwhile (count updates), per viewer per second.
        viewerFramesPerS: Math.round((frames / VIEWERS / d.s) * 100) / 100,
      };
      windows.push(w);
      log(`window ${i + 1}: ${JSON.stringify(w)}`);
    }
    const pick = (k) => windows.map((w) => w[k]).sort((x, y) => x - y);
    const summary = {};
    for (const k of ['cpuMsPerS', 'mainMsPerS', 'wakeUpsPerS']) {
      const v = pick(k);
      summary[k] = { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1] };
    }
    log(`summary: ${JSON.stringify(summary)}`);
    if (opt.json) writeFileSync(opt.json, JSON.stringify({ env, windows, summary }, null, 2));
  } finally {
    for (const p of pools) await p.stop();
    await srv.proc.stop('SIGTERM', 5000);
    killAll();
  }
}

await main();
