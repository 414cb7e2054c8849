// Sections 1–3, per server, with one set of connections: idle memory at the full count, a
// warm-up, the chat storm with a small audience (while the server is calm), then the fanout
// ladder at each audience size from the smallest up, opening viewers again in between.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mintToken } from '../drivers/roar.mjs';
import { nowMs } from '../drivers/common.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { INSPECT_ARGS } from '../lib/inspector.mjs';
import { perfSplit, perfUsable, startPerf } from '../lib/perf-split.mjs';
import { LoadPool, mergeOpen } from '../lib/pool.mjs';
import { procUsage, sleep, waitUntil } from '../lib/proc.mjs';
import { beyondRest, sampleDiff, threadSample, wakeUpCost } from '../lib/wakeups.mjs';
import {
  fetchMetrics,
  histogramQuantile,
  JWT_SECRET,
  ladderChanges,
  metric,
  startServer,
} from '../lib/servers.mjs';
import { round, split } from '../lib/split.mjs';

const STREAM = 'bench';
/**
 * The viewers' client per server: a minimal one on `net` where the protocol allows (Roar, bare
 * uWS), so the load generators, which share the machine, cost as little as possible per delivery
 * and the ramp measures the servers; Socket.IO's Engine.IO framing stays on `ws`.
 */
export const VIEWER_DRIVER = {
  roar: 'roar-lite',
  uws: 'uws-lite',
  'uws-sampled': 'uws-lite',
  socketio: 'socketio',
};
/**
 * Run in the chat storm alone, before its audience only: bare uWS with Roar's delivery policy
 * (servers/uws-sampled.mjs), the floor of the storm for a server that shows what Roar shows.
 */
const STORM_ONLY = new Set(['uws-sampled']);

export async function runServer(kind, cfg, ctx) {
  const out = { kind, memory: undefined, fanout: [], storm: undefined, notes: [] };
  const stormOnly = STORM_ONLY.has(kind);
  if (stormOnly && !cfg.storm) return out;
  // Sets of the fanout with Roar settings of their own (the ramp) run on a Roar of their own.
  const apart = (set) => kind === 'roar' && set.roarEnv !== undefined;
  const sets = [...cfg.fanout].sort((x, y) => x.n - y.n);
  const run = await openRun(kind, cfg, ctx, {
    nodeArgs: [...INSPECT_ARGS, ...(cfg.nodeArgs ?? [])],
  });
  const { srv, viewers, pub, held } = run;
  try {
    await sleep(1000);
    const rawBefore = procUsage(srv.pid).rssBytes;
    const before = await srv.settledRss();
    const heap0 = kind === 'roar' ? heapOf(await fetchMetrics(srv.port)) : undefined;
    const opened = await growTo(viewers, held, stormOnly ? cfg.storm.viewers : cfg.viewers, {
      kind,
      srv,
      cfg,
      ctx,
    });
    const pubOpen = await openChatters(run, cfg, ctx);
    await sleep(2000);
    const rawAfter = procUsage(srv.pid).rssBytes;
    const after = await srv.settledRss();
    const heap1 = kind === 'roar' ? heapOf(await fetchMetrics(srv.port)) : undefined;
    const conns = opened.opened + pubOpen.opened;
    const memory = {
      connections: conns,
      opened,
      rssBeforeMB: round(before / 2 ** 20, 1),
      rssAfterMB: round(after / 2 ** 20, 1),
      bytesPerConnection: Math.round((after - before) / conns),
      // The same without the forced GCs: what a scrape of RSS would show.
      rawBytesPerConnection: Math.round((rawAfter - rawBefore) / conns),
    };
    if (heap0 && heap1) {
      // Where Roar's bytes are: the V8 heap (sessions, sets, strings) vs outside it (uWS, buffers).
      memory.heapBytesPerConnection = Math.round((heap1.used - heap0.used) / conns);
      memory.externalBytesPerConnection = Math.round((heap1.external - heap0.external) / conns);
    }
    if (!stormOnly) out.memory = memory;
    ctx.log(
      `${kind}: ${opened.opened} viewers + ${pubOpen.opened} chatters open in ${Math.round(opened.ms)} ms, ` +
        `${memory.bytesPerConnection} B RSS per connection`,
    );

    if (cfg.warmup) await warmUp(kind, srv, cfg.warmup, ctx);

    // The storm first, while the gateway is calm (Roar's ladder would otherwise carry levels
    // from the fanout into it); then the fanout from the smaller audience up, opening viewers again.
    if (cfg.storm && ctx.left() > cfg.storm.seconds * 1000 + cfg.stepReserveMs) {
      const stormCfg = { ...cfg.storm, chatters: cfg.chatters };
      // What one event-loop wake-up costs on this machine now, to split Roar's storm CPU with.
      if (kind === 'roar' && cfg.storm.wakeUps) {
        out.wakeUp = await wakeUpCost({ rate: cfg.storm.rate, ...cfg.storm.wakeUps });
        ctx.log(`wake-up cost: ${JSON.stringify(out.wakeUp)}`);
      }
      // Roar only: the same chat before a bigger audience, where the fixed costs weigh less
      // (the others write every message to every viewer: their cost per delivery does not fall).
      const large = kind === 'roar' ? cfg.storm.largeViewers : undefined;
      if (large && sum(held) >= large) {
        await reduceTo(viewers, held, large);
        await sleep(1000);
        await settleLadder(kind, srv, cfg, out);
        out.stormLarge = await chatStorm({ kind, srv, viewers, pub, n: sum(held), cfg: stormCfg });
        ctx.log(`${kind} storm at ${large}: ${JSON.stringify(out.stormLarge)}`);
      }
      await reduceTo(viewers, held, cfg.storm.viewers);
      await sleep(1000);
      await settleLadder(kind, srv, cfg, out);
      out.storm = await chatStorm({ kind, srv, viewers, pub, n: sum(held), cfg: stormCfg });
      ctx.log(`${kind} storm: ${JSON.stringify(out.storm)}`);
    } else if (cfg.storm) {
      out.notes.push('chat storm skipped: global deadline');
    }
    for (const set of sets) if (!apart(set) && !stormOnly) await fanoutSet(run, set, cfg, ctx, out);
  } finally {
    await closeRun(run, out);
  }
  for (const set of stormOnly ? [] : sets.filter(apart)) {
    if (ctx.left() < cfg.stepReserveMs * 3) {
      out.notes.push(`fanout at ${set.n} viewers skipped: global deadline`);
      continue;
    }
    const own = await openRun(kind, cfg, ctx, { env: set.roarEnv });
    try {
      await sleep(500);
      await openChatters(own, cfg, ctx);
      if (cfg.warmup) await warmUp(kind, own.srv, cfg.warmup, ctx);
      await fanoutSet(own, set, cfg, ctx, out);
    } finally {
      await closeRun(own, out);
    }
  }
  return out;
}

/** A server under test with its viewer and chatter load generators. */
export async function openRun(kind, cfg, ctx, options) {
  const srv = await startServer(kind, options);
  const run = { kind, srv, viewers: undefined, pub: undefined, held: [] };
  run.viewers = new LoadPool(`${kind}-viewers`, cfg.viewerWorkers);
  run.pub = new LoadPool(`${kind}-pub`, 1);
  run.held = run.viewers.workers.map(() => 0);
  return run;
}

export async function closeRun({ kind, srv, viewers, pub }, out) {
  if (kind === 'roar') (out.ladderChanges ??= []).push(...ladderChanges(srv.proc.output));
  // The server goes first, so the closing side (and TIME_WAIT) is the server's.
  await srv.proc.stop('SIGTERM', 5000);
  await Promise.all([viewers.stop(), pub.stop()]);
  // What `--perf-basic-prof` (cfg.nodeArgs) left: JavaScript's symbols for perf.
  rmSync(`/tmp/perf-${srv.pid}.map`, { force: true });
}

/** The publishers: signed-in users for Roar (an HS256 token each), speaking through `ws`. */
export async function openChatters({ kind, srv, pub }, cfg, ctx) {
  const chatters = Array.from({ length: cfg.chatters }, (_, i) => `chatter-${i}`);
  const opened = await pub.workers[0].request(
    'open',
    {
      driver: kind,
      host: '127.0.0.1',
      port: srv.port,
      count: cfg.chatters,
      stream: STREAM,
      idPrefix: `${kind}-${ctx.runId}-chatter`,
      tokens: kind === 'roar' ? chatters.map((sub) => mintToken(JWT_SECRET, sub)) : undefined,
      counted: false,
      ...addressesFor(cfg.chatters),
      concurrency: cfg.chatters,
    },
    30_000,
  );
  if (opened.opened < cfg.chatters)
    throw new Error(`${kind}: chatters failed to open: ${JSON.stringify(opened)}`);
  return opened;
}

/**
 * One audience size's steps. A ramp goes on while the server keeps up or its deliveries still
 * rise, and stops at its ceiling: behind (under 95% delivered) and no more sustained than the
 * best step before. Other sets stop at the first step behind.
 */
async function fanoutSet(run, set, cfg, ctx, out) {
  const { kind, srv, viewers, pub, held } = run;
  if (ctx.left() < cfg.stepReserveMs * 2) {
    out.notes.push(`fanout at ${set.n} viewers skipped: global deadline`);
    return;
  }
  if (sum(held) < set.n) await growTo(viewers, held, set.n, { kind, srv, cfg, ctx });
  else await reduceTo(viewers, held, set.n);
  await sleep(1000);
  await settleLadder(kind, srv, cfg, out);
  const stepCfg = { ...cfg, minMessages: set.minMessages ?? cfg.minMessages };
  // A ramp's first step is its low-rate latency figure: a short burst first, not measured, so
  // neither the server's nor the viewers' code runs it cold.
  if (set.ramp) {
    const warm = { ...cfg, stepSeconds: 1, minMessages: 3 };
    await fanoutStep({ kind, srv, viewers, pub, n: sum(held), rate: set.rates[0], cfg: warm });
  }
  let best = 0;
  for (const rate of set.rates) {
    if (ctx.left() < cfg.stepReserveMs) {
      out.notes.push(`fanout ${set.n} at ${rate}/s skipped: global deadline`);
      break;
    }
    const step = await fanoutStep({ kind, srv, viewers, pub, n: sum(held), rate, cfg: stepCfg });
    if (set.ramp) step.ramp = true;
    // Outside the set's `cpuRates` a frame is not one message for every server (see modes.mjs):
    // such steps stay out of the CPU-per-frame comparison.
    if (set.cpuRates && !set.cpuRates.includes(rate)) step.perFrameCpu = false;
    if (kind === 'roar' && set.roarEnv) step.settings = set.roarEnv;
    out.fanout.push(step);
    ctx.log(
      `${kind} fanout n=${step.viewers} rate=${rate}/s: ${step.deliveredPerS}/s delivered ` +
        `(${step.deliveryRatio}), sustained ${step.sustainedPerS}/s, p50 ${step.p50Ms} ms p99 ${step.p99Ms} ms, ` +
        `${step.cpuSPerMillion} CPU-s/M, server ${step.serverCpuShare} core, load-gen ${step.loadGenCpuShare}` +
        (step.roar
          ? `, L${step.roar.level}, ${step.roar.coalesced} coalesced, written p50/p99 ${step.roar.writtenP50Ms}/${step.roar.writtenP99Ms} ms`
          : ''),
    );
    const rising = step.sustainedPerS > best * 1.02;
    best = Math.max(best, step.sustainedPerS);
    if (set.ramp) {
      if (step.deliveryRatio < 0.95 && !rising) break;
      continue;
    }
    // The bar is p99 ≤ 250 ms and ≥ 95% delivered; past it the ladder goes on while the
    // numbers still mean something (CPU per delivery), and stops once deliveries fall behind.
    if (step.deliveryRatio < 0.95 || step.p99Ms > 20 * 250) break;
  }
}

/**
 * Roar's degradation ladder climbs while its event loop is delayed (a publish to 19k sockets
 * blocks it ~200 ms; connecting 19k clients on two shared cores delays it too) and steps down one
 * level per 15 s of calm. Levels 1-2 (slower counts, coarser reactions) do not touch chat;
 * level 3 halves the chat budget and level 4 makes chat read-only. Measurements start at level
 * ≤ 2, waiting a bounded time for it; the level found and the level at each step are recorded.
 */
export async function settleLadder(kind, srv, cfg, out) {
  if (kind !== 'roar') return;
  const t = Date.now();
  let level = metric(await fetchMetrics(srv.port), 'roar_degradation_level');
  const found = level;
  while (level > 2 && Date.now() - t < cfg.ladderWaitMs) {
    await sleep(1000);
    level = metric(await fetchMetrics(srv.port), 'roar_degradation_level');
  }
  out.ladder ??= [];
  out.ladder.push({ found, after: level, waitedMs: Date.now() - t });
}

/**
 * Every server's chat path runs hot before it is measured: a burst into a stream nobody watches
 * but the warm-up chatters, so JIT compilation is not charged to the first measurement (the
 * storm's 2,000 messages would otherwise run partly in V8's baseline tier on Roar's longer path).
 */
export async function warmUp(kind, srv, cfg, ctx) {
  const warm = new LoadPool(`${kind}-warm`, 1);
  try {
    const opened = await warm.workers[0].request('open', {
      driver: kind,
      host: '127.0.0.1',
      port: srv.port,
      count: 20,
      stream: 'warmup',
      idPrefix: `${kind}-${ctx.runId}-warm`,
      tokens:
        kind === 'roar'
          ? Array.from({ length: 20 }, (_, i) => mintToken(JWT_SECRET, `warm-${i}`))
          : undefined,
      counted: false,
      ...addressesFor(20),
      concurrency: 20,
    });
    if (opened.opened < 20)
      throw new Error(`${kind}: warm-up connections failed: ${JSON.stringify(opened)}`);
    // In rounds with quiet gaps, as chat comes in life: a gateway's paths for news after a quiet
    // moment (a timer armed again) run too, so V8 has their type feedback before it optimizes the
    // chat path (code first run after that sends it back to the baseline tier).
    const round = { count: Math.ceil(cfg.count / (cfg.rounds ?? 1)), rate: cfg.rate };
    for (let i = 0; i < (cfg.rounds ?? 1); i++) {
      if (i > 0) await sleep(cfg.pauseMs ?? 1000);
      await warm.workers[0].request('burst', round, (round.count / round.rate) * 1000 + 15_000);
    }
    await sleep(500);
  } finally {
    await warm.stop();
  }
}

const heapOf = (m) => ({
  used: metric(m, 'nodejs_heap_size_used_bytes'),
  external: metric(m, 'nodejs_external_memory_bytes'),
});

const sum = (list) => list.reduce((a, b) => a + b, 0);

/**
 * Opens viewers until the workers hold `n` between them; returns what the opening did. A server
 * that stops answering handshakes for a while (bare uWS reopening to 19,000 here once timed out
 * 512 of them) gets one more try for what is missing before the section fails.
 */
export async function growTo(pool, held, n, o) {
  let result = await growOnce(pool, held, n, o);
  if (sum(held) < n * 0.99) {
    o.ctx.log(`${o.kind}: ${sum(held)} of ${n} viewers open, opening the rest again`);
    result = mergeOpen([result, await growOnce(pool, held, n, o)]);
  }
  if (sum(held) < n * 0.99)
    throw new Error(`${o.kind}: only ${sum(held)} of ${n} viewers open: ${JSON.stringify(result)}`);
  return result;
}

async function growOnce(pool, held, n, { kind, srv, cfg, ctx }) {
  const want = split(n, held.length);
  const batch = (ctx.openBatches = (ctx.openBatches ?? 0) + 1);
  const result = mergeOpen(
    await Promise.all(
      pool.workers.map(async (w, i) => {
        const count = want[i] - held[i];
        if (count <= 0)
          return { opened: 0, refused: 0, retryAfter: 0, statuses: {}, errors: {}, ms: 0 };
        const r = await w.request(
          'open',
          {
            driver: VIEWER_DRIVER[kind] ?? kind,
            host: '127.0.0.1',
            port: srv.port,
            count,
            stream: STREAM,
            idPrefix: `${kind}-${ctx.runId}-v${i}-${batch}`,
            ...addressesFor(count),
            concurrency: 64,
            timeBudgetMs: cfg.openBudgetMs,
          },
          cfg.openBudgetMs + 30_000,
        );
        held[i] = (await w.request('stats')).open;
        return r;
      }),
    ),
  );
  return result;
}

export async function reduceTo(pool, held, n) {
  const want = split(n, held.length);
  await Promise.all(
    pool.workers.map(async (w, i) => {
      const extra = held[i] - want[i];
      if (extra > 0) held[i] = (await w.request('closeSome', { count: extra })).left;
    }),
  );
}

/**
 * One step of the ladder: a fixed number of messages at `rate`, timed by their send time, CPU
 * of the server from the first send until every delivery arrived (or the grace ran out).
 */
export async function fanoutStep({ kind, srv, viewers, pub, n, rate, cfg }) {
  const count = Math.max(cfg.minMessages, Math.round(rate * cfg.stepSeconds));
  const m0 = kind === 'roar' ? await fetchMetrics(srv.port) : undefined;
  const from = nowMs();
  await viewers.all('reset', { from });
  const u0 = procUsage(srv.pid);
  const cpu0 = u0.cpuS;
  const t0 = nowMs();
  const sent = await pub.workers[0].request(
    'burst',
    { count, rate },
    (count / rate) * 1000 + 15_000,
  );
  const expected = sent.sent * n;
  await waitUntil(
    async () => (await viewers.count()).messages >= expected,
    Math.max(0, sent.last + cfg.graceMs - nowMs()),
    50,
  );
  const u1 = procUsage(srv.pid);
  const cpu1 = u1.cpuS;
  const t1 = nowMs();
  const s = await viewers.stats();
  const m1 = kind === 'roar' ? await fetchMetrics(srv.port) : undefined;
  const spanS = count / rate;
  const cpu = cpu1 - cpu0;
  const p99 = s.hist.percentile(99);
  const ratio = s.messages / Math.max(1, expected);
  const step = {
    viewers: n,
    rate,
    messages: sent.sent,
    delivered: s.messages,
    frames: s.frames,
    offeredPerS: Math.round(rate * n),
    deliveredPerS: Math.round(s.messages / spanS),
    // What the server sustained: deliveries over the time from the first send to the last
    // arrival (plus one send interval, so a server that keeps up with no latency shows the
    // offered rate). A server behind its load shows its ceiling here, not in "delivered/s",
    // which the grace after the last send would flatter.
    sustainedPerS:
      s.messages > 0 ? Math.round(s.messages / ((s.lastAt - sent.first) / 1000 + 1 / rate)) : 0,
    deliveryRatio: round(ratio, 3),
    framesPerS: Math.round(s.frames / ((t1 - t0) / 1000)),
    p50Ms: round(s.hist.percentile(50), 1),
    p99Ms: round(p99, 1),
    maxMs: round(s.hist.max, 1),
    serverCpuS: round(cpu, 2),
    serverCpuShare: round(cpu / ((t1 - t0) / 1000), 2),
    loadGenCpuShare: round(s.cpuS / ((t1 - t0) / 1000), 2),
    cpuSPerMillion: round(cpu / (s.messages / 1e6), 2),
    cpuSPerMillionFrames: round(cpu / (s.frames / 1e6), 2),
    // User-space (JS, uWS) and kernel (socket writes) parts of the server's CPU per frame.
    userUsPerFrame: round(((u1.userS - u0.userS) / Math.max(1, s.frames)) * 1e6, 2),
    sysUsPerFrame: round(((u1.sysS - u0.sysS) / Math.max(1, s.frames)) * 1e6, 2),
    meanFrameBytes: Math.round(s.bytes / Math.max(1, s.frames)),
    closes: s.closes,
    ok: p99 !== undefined && p99 <= 250 && ratio >= 0.95,
  };
  if (m1) step.roar = roarDelta(m0, m1);
  return step;
}

const lagMs = (m0, m1, q) => {
  const s = histogramQuantile(m0, m1, 'roar_delivery_lag_seconds', q);
  return s === undefined ? undefined : s === Infinity ? Infinity : round(s * 1000, 1);
};

function roarDelta(m0, m1) {
  const d = (name, where) => metric(m1, name, where) - metric(m0, name, where);
  return {
    framesOut: d('roar_frames_out_total'),
    batches: d('roar_batches_total'),
    coalesced: d('roar_fanout_coalesced_total'),
    leading: d('roar_fanout_leading_total'),
    sampledOut: d('roar_chat_sampled_out_total'),
    chatAccepted: d('roar_chat_total', { result: 'accepted' }),
    chatRejected: d('roar_chat_total', { result: 'rejected' }),
    slowDemoted: d('roar_slow_clients_total', { action: 'demoted' }),
    slowClosed: d('roar_slow_clients_total', { action: 'closed' }),
    // The gateway's own view: a batch's oldest message accepted → written to every socket (the
    // upper edge of its bucket), beside what the viewers measured (sent → read).
    writtenP50Ms: lagMs(m0, m1, 0.5),
    writtenP99Ms: lagMs(m0, m1, 0.99),
    level: metric(m1, 'roar_degradation_level'),
    loopP99Ms: round(metric(m1, 'nodejs_eventloop_lag_p99_seconds') * 1000, 1),
  };
}

/** 200 msg/s into one stream: Roar batches and samples, the others send every message. */
export async function chatStorm({ kind, srv, viewers, pub, n, cfg }) {
  const count = Math.round(cfg.rate * cfg.seconds);
  // The server at rest first, with the same connections open: what its timers and idle sockets
  // cost per second, to tell apart from what the storm itself costs.
  const r0 = procUsage(srv.pid).cpuS;
  const rt0 = nowMs();
  const rs0 = threadSample(srv.pid);
  await sleep(cfg.restMs ?? 2000);
  const rest = sampleDiff(rs0, threadSample(srv.pid));
  const restCpuPerS = (procUsage(srv.pid).cpuS - r0) / ((nowMs() - rt0) / 1000);
  const m0 = kind === 'roar' ? await fetchMetrics(srv.port) : undefined;
  await viewers.all('reset', { from: nowMs() });
  // cfg.perf: Roar's storm under perf too, to split its CPU by what spent it.
  const perfFile = `${tmpdir()}/roar-storm-${srv.pid}-${n}.perf`;
  const perf =
    kind === 'roar' && cfg.perf && perfUsable() ? startPerf(srv.pid, perfFile) : undefined;
  if (perf) await sleep(500);
  const cpu0 = procUsage(srv.pid).cpuS;
  const s0 = threadSample(srv.pid);
  const t0 = nowMs();
  const sent = await pub.workers[0].request(
    'burst',
    { count, rate: cfg.rate },
    cfg.seconds * 1000 + 15_000,
  );
  const expected = sent.sent * n;
  await waitUntil(
    async () => (await viewers.count()).messages >= expected,
    Math.max(0, sent.last + cfg.graceMs - nowMs()),
    50,
  );
  const cpu1 = procUsage(srv.pid).cpuS;
  const s1 = threadSample(srv.pid);
  const t1 = nowMs();
  await perf?.stop();
  const s = await viewers.stats();
  const m1 = kind === 'roar' ? await fetchMetrics(srv.port) : undefined;
  const wallS = (t1 - t0) / 1000;
  const cpu = cpu1 - cpu0;
  // The main thread's wake-ups (epoll waits that ended) beyond its rate at rest.
  const extra = beyondRest(sampleDiff(s0, s1), rest);
  const result = {
    viewers: n,
    offered: sent.sent,
    seconds: round(wallS, 2),
    delivered: s.messages,
    deliveredShare: round(s.messages / Math.max(1, expected), 3),
    messagesPerViewerPerS: round(s.messages / n / wallS, 1),
    framesPerViewerPerS: round(s.frames / n / wallS, 1),
    serverCpuS: round(cpu, 2),
    serverCpuShare: round(cpu / wallS, 2),
    restCpuPerS: round(restCpuPerS, 3),
    messagesPerCpuS: Math.round(s.messages / Math.max(cpu, 1e-9)),
    p50Ms: round(s.hist.percentile(50), 1),
    p99Ms: round(s.hist.percentile(99), 1),
    closes: s.closes,
    wakeUpsPerMessage: round(extra.vol / Math.max(1, sent.sent), 2),
    restWakeUpsPerS: round(rest.vol / rest.s, 1),
    // Monotonic µs (what process.hrtime and V8's profiles read): the profile phase cuts these.
    windows: { rest: [rs0.at, rs0.at + rest.s * 1e6], storm: [s0.at, s1.at] },
  };
  if (perf) {
    try {
      result.perf = perfSplit(perfFile, [s0.at, s1.at]);
    } finally {
      rmSync(perfFile, { force: true });
    }
  }
  if (m1) {
    result.roar = roarDelta(m0, m1);
    // Frames beyond the fanout: each viewer and chatter gets the stream's frames; what else was
    // written (senders' own copies of messages sampling left out; replies) is the rest.
    const perSocket = s.frames / Math.max(1, n);
    const fanout = perSocket * (n + (cfg.chatters ?? 20));
    result.roar.extraFramesPerChat = round(
      Math.max(0, result.roar.framesOut - fanout) / Math.max(1, result.roar.chatAccepted),
      2,
    );
  }
  return result;
}
