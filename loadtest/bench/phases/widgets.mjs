// Live widgets (issue 14): one key of a stream's live state written 100 times a second through
// the admin API while `viewers` watch. Measures what each viewer receives (frames carrying the
// key: at most one per tick) and how long each update takes to reach every viewer, beside the
// time chat sent meanwhile takes to reach them on the same gateway (the target: one tick plus that).
import { mintToken } from '../drivers/roar.mjs';
import { nowMs } from '../drivers/common.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { LoadPool } from '../lib/pool.mjs';
import { sleep, waitUntil } from '../lib/proc.mjs';
import { JWT_SECRET, startServer } from '../lib/servers.mjs';
import { round } from '../lib/split.mjs';

const STREAM = 'widgets';
const KEY = 'bench';
const API_KEY = 'bench-widgets-0123456789abcdef0123456789abcdef';
/** The gateway's tick (ROAR_TICK_MS default). */
const TICK_MS = 50;

export async function runWidgets(cfg, ctx) {
  // Opening the audience, the writes and the wait after them must end before the run's hard stop.
  const needMs = cfg.openBudgetMs + cfg.seconds * 1000 + 20_000;
  if (ctx.left() < needMs) {
    ctx.log(
      `widgets: skipped, needs ${needMs / 1000} s and ${Math.round(ctx.left() / 1000)} s are left`,
    );
    return { skipped: `needs ${needMs / 1000} s, ${Math.round(ctx.left() / 1000)} s were left` };
  }
  const srv = await startServer('roar', {
    name: 'roar-widgets',
    env: { ROAR_ADMIN_API_KEYS: `bench:${API_KEY}`, ROAR_TICK_MS: String(TICK_MS) },
  });
  const viewers = new LoadPool('widgets-viewers', cfg.viewerWorkers);
  const pub = new LoadPool('widgets-pub', 1);
  try {
    const opened = await viewers.open(
      cfg.viewers,
      {
        driver: 'roar',
        host: '127.0.0.1',
        port: srv.port,
        stream: STREAM,
        idPrefix: `widgets-${ctx.runId}`,
        concurrency: 64,
        timeBudgetMs: cfg.openBudgetMs,
      },
      cfg.openBudgetMs + 30_000,
    );
    await pub.workers[0].request('open', {
      driver: 'roar',
      host: '127.0.0.1',
      port: srv.port,
      count: 1,
      stream: STREAM,
      idPrefix: `widgets-${ctx.runId}-chatter`,
      tokens: [mintToken(JWT_SECRET, 'chatter')],
      counted: false,
      ...addressesFor(1),
    });
    ctx.log(`widgets: ${opened.opened} viewers open in ${Math.round(opened.ms)} ms`);
    await sleep(2000);

    // 100 writes a second of one key, each value carrying its number and send time; meanwhile
    // the reference: chat at a readable rate, timed to every viewer through the same gateway,
    // the same frames and the same (busy) receivers.
    await viewers.all('stateReset');
    await viewers.all('reset', { from: nowMs() });
    const chatting = pub.workers[0].request(
      'burst',
      { count: Math.round(cfg.chat.rate * cfg.seconds), rate: cfg.chat.rate },
      cfg.seconds * 1000 + 30_000,
    );
    const sentAt = [0];
    const ackAt = [0];
    const writes = [];
    const updates = Math.round(cfg.rate * cfg.seconds);
    const started = nowMs();
    for (let seq = 1; seq <= updates; seq++) {
      const due = started + ((seq - 1) * 1000) / cfg.rate;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      sentAt[seq] = nowMs();
      writes.push(
        put(srv.port, { seq, sentAt: sentAt[seq] }).then((status) => {
          ackAt[seq] = nowMs();
          return status;
        }),
      );
    }
    const replies = await Promise.all(writes);
    const lastAckAt = nowMs();
    await chatting;
    const failed = replies.filter((status) => status !== 200).length;
    let status;
    await waitUntil(async () => {
      const all = await viewers.all('stateStatus', { seq: updates });
      status = all.reduce((a, s) => ({ reached: a.reached + s.reached, of: a.of + s.of }), {
        reached: 0,
        of: 0,
      });
      return status.reached >= status.of;
    }, 15_000);
    await sleep(cfg.chat.graceMs);
    const chat = await viewers.stats();
    const per = await viewers.all('stateStats', { sentAt, tickMs: TICK_MS });
    const elapsedMs = lastAckAt - started;
    const reach = sentAt.map((_, k) => Math.max(...per.map((p) => p.reach[k] ?? 0))).slice(1);
    const quantiles = (list) => {
      const sorted = [...list].sort((a, b) => a - b);
      const q = (p) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))], 1);
      return { p50: q(0.5), p99: q(0.99), max: round(sorted.at(-1) ?? 0, 1) };
    };
    // The same from each write's answer: what fanout adds once the store has the value.
    const acks = sentAt.slice(1).map((t, i) => (ackAt[i + 1] ?? t) - t);
    const frames = per.reduce((a, p) => a + p.frames, 0);
    const n = per.reduce((a, p) => a + p.viewers, 0);
    const chatHist = chat.hist;
    // Each chat message's time to the last viewer of all: the max over the workers.
    const chatReach = new Map();
    for (const p of per)
      for (const [sent, ms] of p.chatReach)
        chatReach.set(sent, Math.max(chatReach.get(sent) ?? 0, ms));
    const out = {
      viewers: n,
      updates,
      ratePerS: cfg.rate,
      failedWrites: failed,
      tickMs: TICK_MS,
      seconds: round(elapsedMs / 1000, 1),
      ticks: Math.ceil(elapsedMs / TICK_MS),
      framesPerViewer: round(frames / Math.max(1, n), 1),
      maxFramesPerViewer: Math.max(...per.map((p) => p.maxFrames)),
      // Arrival times are taken by the load generators, which bunch frames when they fall behind:
      // an upper bound on what the gateway sent within one tick, not the server's own count.
      maxFramesInOneTickAtReceiver: Math.max(...per.map((p) => p.maxInTick)),
      reachedFinal: status,
      writeAckMs: quantiles(acks),
      reachEveryViewerMs: quantiles(reach),
      reachAfterAckMs: quantiles(reach.map((r, i) => r - (acks[i] ?? 0))),
      chatToEveryViewerMs: { ...quantiles([...chatReach.values()]), messages: chatReach.size },
      chatToViewersMs: {
        p50: round(chatHist.percentile(50) ?? 0, 1),
        p99: round(chatHist.percentile(99) ?? 0, 1),
        max: round(chatHist.max, 1),
        deliveries: chat.messages,
      },
    };
    // At most one frame per tick: no viewer got more frames carrying the key than ticks passed.
    out.targetMet =
      out.maxFramesPerViewer <= out.ticks + 1 &&
      out.reachEveryViewerMs.p99 <= TICK_MS + out.chatToEveryViewerMs.p99;
    ctx.log(`widgets: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await srv.proc.stop('SIGTERM', 5000);
    await Promise.all([viewers.stop(), pub.stop()]);
  }
}

async function put(port, value) {
  const res = await fetch(`http://127.0.0.1:${port}/admin/v1/streams/${STREAM}/state/${KEY}`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
  await res.arrayBuffer();
  return res.status;
}
