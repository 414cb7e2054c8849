#!/usr/bin/env node
// What accepting one chat message costs a gateway (issue 17, part 5), measured in one run on a
// real gateway with real WebSocket chatters on loopback:
//   - wake-up calibration: CPU per event-loop wake-up of an idle Node process (a timer) and of a
//     bare uWebSockets.js server reading one small frame per wake-up (the floor of a frame in);
//   - pass A: the gateway's CPU per accepted chat from /proc (schedstat, ns), the main thread's
//     wake-ups per chat (voluntary context switches: each is one wait in epoll that ended), and the
//     frames written per chat beyond the fanout (acks, senders' own copies);
//   - pass B: the same load under `node --cpu-prof`: JavaScript self time per accepted chat, and
//     the top functions.
// Each figure is the storm window less the same gateway's rest rate (same connections, no chat).
// Chatters send with a `ref`, as the SDK does, so every message is acked (`--no-ref`: none).
//   node loadtest/bench/chat-cost.mjs [--viewers 200] [--chatters 20] [--rate 200] [--seconds 10]
//     [--passes A,B] [--interval-us 100] [--no-ref] [--no-calibrate] [--together 1]
//     [--json out.json]
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { msgpackCodec } from '@roar/protocol';
import { mintToken } from './drivers/roar.mjs';
import { chatText } from './drivers/common.mjs';
import { jsSelfTime } from './lib/cpuprofile.mjs';
import { LoadPool } from './lib/pool.mjs';
import { installCleanup, killAll, sleep, waitUntil } from './lib/proc.mjs';
import {
  beyondRest,
  pace,
  sampleDiff as diff,
  threadSample as sample,
  wakeUpCost,
} from './lib/wakeups.mjs';
import { fetchMetrics, JWT_SECRET, metric, startServer } from './lib/servers.mjs';

const { values: opt } = parseArgs({
  options: {
    viewers: { type: 'string', default: '200' },
    chatters: { type: 'string', default: '20' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    passes: { type: 'string', default: 'A,B' },
    'interval-us': { type: 'string', default: '100' },
    'no-ref': { type: 'boolean', default: false },
    'no-calibrate': { type: 'boolean', default: false },
    // Messages sent back to back each time (from different chatters): 1 spreads them evenly.
    together: { type: 'string', default: '1' },
    'rest-ms': { type: 'string', default: '3000' },
    json: { type: 'string' },
  },
});
const VIEWERS = Number(opt.viewers);
const CHATTERS = Number(opt.chatters);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const REST_MS = Number(opt['rest-ms']);
const WITH_REF = !opt['no-ref'];
const STREAM = 'cost';
const codec = msgpackCodec;
const log = (msg) => console.log(`[chat-cost] ${msg}`);

installCleanup();

const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;

/** A WebSocket, open; `onMessage` is attached at once (a first frame can come with the upgrade). */
function openWs(url, protocol, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol, { perMessageDeflate: false });
    if (onMessage) ws.on('message', (data) => onMessage(ws, data));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A signed-in chatter: joined to the stream, counting what it is sent by kind. */
async function openChatter(port, i) {
  const token = mintToken(JWT_SECRET, `chatter-${i}`);
  const c = { ws: undefined, frames: 0, acks: 0, errors: {}, batches: 0, own: 0, ref: 1, sent: 0 };
  let joined;
  const ready = new Promise((resolve, reject) => {
    joined = resolve;
    setTimeout(() => reject(new Error(`chatter ${i}: no joined`)), 20_000).unref();
  });
  const onMessage = (ws, data) => {
    const m = codec.decodeServer(data);
    if (m.type === 'welcome')
      return ws.send(codec.encodeClient({ type: 'join', ref: 0, stream: STREAM }));
    if (m.type === 'joined') return joined();
    c.frames++;
    if (m.type === 'ack') c.acks++;
    else if (m.type === 'error') c.errors[m.code] = (c.errors[m.code] ?? 0) + 1;
    else if (m.type === 'batch') {
      c.batches++;
      for (const e of m.events) if (e.type === 'chat' && e.user.id === `chatter-${i}`) c.own++;
    }
  };
  c.ws = await openWs(`ws://127.0.0.1:${port}/ws?token=${token}`, codec.subprotocol, onMessage);
  await ready;
  return c;
}

function resetCounts(chatters) {
  for (const c of chatters) {
    c.frames = c.acks = c.batches = c.own = c.sent = 0;
    c.errors = {};
  }
}

async function send(chatters, count) {
  let seq = 0;
  return pace(
    () => {
      const c = chatters[seq % chatters.length];
      const message = { type: 'chat', stream: STREAM, text: chatText(seq++) };
      if (WITH_REF) message.ref = c.ref++;
      c.sent++;
      c.ws.send(codec.encodeClient(message));
    },
    RATE,
    count,
    Number(opt.together),
  );
}

/** One gateway, one load: rest, then the storm window; with `profile`, under --cpu-prof. */
async function pass(name, profile) {
  const dir = profile ? mkdtempSync(`${tmpdir()}/chat-cost-`) : undefined;
  const nodeArgs = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${opt['interval-us']}`]
    : [];
  const srv = await startServer('roar', { name: `roar-${name}`, nodeArgs });
  const pool = new LoadPool(`cost-${name}`, 1);
  try {
    const opened = await pool.open(
      VIEWERS,
      {
        driver: 'roar',
        host: '127.0.0.1',
        port: srv.port,
        stream: STREAM,
        idPrefix: `v-${name}`,
        concurrency: 64,
      },
      60_000,
    );
    if (opened.opened < VIEWERS) throw new Error(`viewers: ${JSON.stringify(opened)}`);
    const chatters = [];
    for (let i = 0; i < CHATTERS; i++) chatters.push(await openChatter(srv.port, i));
    // Warm-up: the same path, so JIT compilation is not charged to the window.
    await send(chatters, Math.round(RATE * 3));
    await sleep(1500);
    resetCounts(chatters);
    await pool.all('reset', {});
    const r0 = sample(srv.pid);
    await sleep(REST_MS);
    const rest = diff(r0, sample(srv.pid));
    const viewersAtRest = (await pool.stats()).frames;
    await pool.all('reset', {});
    const m0 = await fetchMetrics(srv.port);
    const count = Math.round(RATE * SECONDS);
    const a = sample(srv.pid);
    await send(chatters, count);
    // Every ack in, then a storm tick and a bit so the last batch and own copies are written.
    const replied = () =>
      chatters.reduce((n, c) => n + c.acks + Object.values(c.errors).reduce((x, y) => x + y, 0), 0);
    if (WITH_REF) await waitUntil(() => replied() >= count, 5000, 10);
    await sleep(700);
    const b = sample(srv.pid);
    const m1 = await fetchMetrics(srv.port);
    const v = await pool.stats();
    const w = diff(a, b);
    const net = beyondRest(w, rest);
    const d = (metricName, where) => metric(m1, metricName, where) - metric(m0, metricName, where);
    const accepted = d('roar_chat_total', { result: 'accepted' });
    const chatterFrames = chatters.reduce((n, c) => n + c.frames, 0);
    const viewerFramesMean = v.frames / Math.max(1, v.open);
    const out = {
      viewers: v.open,
      chatters: CHATTERS,
      offered: count,
      accepted,
      rejected: d('roar_chat_total', { result: 'rejected' }),
      windowS: r2(w.s),
      rest: {
        cpuMsPerS: r1(rest.allMs / rest.s),
        wakeUpsPerS: r1(rest.vol / rest.s),
        viewerFramesPerS: r1(viewersAtRest / VIEWERS / rest.s),
      },
      cpuUsPerChat: r1((net.allMs * 1000) / accepted),
      mainThreadUsPerChat: r1((net.mainMs * 1000) / accepted),
      otherThreadsUsPerChat: r1(((net.allMs - net.mainMs) * 1000) / accepted),
      // From /proc/<pid>/stat, in 10 ms ticks: user space (JS, V8, uWS) and kernel (syscalls).
      userUsPerChat: r1((net.userMs * 1000) / accepted),
      kernelUsPerChat: r1((net.sysMs * 1000) / accepted),
      wakeUpsPerChat: r2(net.vol / accepted),
      preemptionsPerChat: r2(net.invol / accepted),
      framesOutPerChat: r2(d('roar_frames_out_total') / accepted),
      fanoutFramesPerViewerPerS: r2(viewerFramesMean / w.s),
      // What a chatter gets beyond what a viewer gets: acks, own copies, errors.
      extraWritesPerChat: r2((chatterFrames - CHATTERS * viewerFramesMean) / accepted),
      acksPerChat: r2(chatters.reduce((n, c) => n + c.acks, 0) / accepted),
      ownSeenPerChat: r2(chatters.reduce((n, c) => n + c.own, 0) / accepted),
      sampledOut: d('roar_chat_sampled_out_total'),
      errors: Object.fromEntries(
        chatters
          .flatMap((c) => Object.entries(c.errors))
          .reduce((m, [k, n]) => m.set(k, (m.get(k) ?? 0) + n), new Map()),
      ),
      windowFrom: a.at,
      windowTo: b.at,
      restFrom: r0.at,
      restTo: r0.at + rest.s * 1e6,
    };
    for (const c of chatters) c.ws.terminate();
    return { out, dir };
  } finally {
    await srv.proc.stop('SIGTERM', 20_000);
    await pool.stop();
  }
}

const result = {
  args: { VIEWERS, CHATTERS, RATE, SECONDS, WITH_REF, together: Number(opt.together) },
  at: new Date().toISOString(),
};
try {
  result.loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  log(`load ${result.loadBefore}`);
  if (!opt['no-calibrate']) {
    result.wakeUp = await wakeUpCost({ rate: RATE, seconds: SECONDS / 2, restMs: REST_MS });
    log(`wake-ups: ${JSON.stringify(result.wakeUp)}`);
  }
  const passes = new Set(opt.passes.split(','));
  if (passes.has('A')) {
    result.A = (await pass('A', false)).out;
    log(`A: ${JSON.stringify(result.A)}`);
  }
  if (passes.has('B')) {
    const { out, dir } = await pass('B', true);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const w = jsSelfTime(`${dir}/${file}`, { fromUs: out.windowFrom, toUs: out.windowTo });
    const r = jsSelfTime(`${dir}/${file}`, { fromUs: out.restFrom, toUs: out.restTo });
    const k = (out.windowTo - out.windowFrom) / (out.restTo - out.restFrom);
    const per = (x, y) => r1(((x - y * k) * 1000) / out.accepted);
    out.jsUsPerChat = per(w.jsMs, r.jsMs);
    out.gcUsPerChat = per(w.gcMs, r.gcMs);
    out.nativeFromJsUsPerChat = per(w.nativeMs, r.nativeMs);
    out.programUsPerChat = per(w.programMs, r.programMs);
    out.top = w.top.map((t) => `${(t.share * 100).toFixed(1)}% ${t.fn}`);
    result.B = out;
    log(`B: ${JSON.stringify(out, null, 1)}`);
    if (process.env.KEEP_PROFILE) log(`profile kept: ${dir}/${file}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  result.loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  if (opt.json) writeFileSync(opt.json, `${JSON.stringify(result, null, 2)}\n`);
  log(`load after ${result.loadAfter}`);
} finally {
  killAll();
}
process.exit(0);
