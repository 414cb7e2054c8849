// Issue 17, parts 1 and 2: what one stream's chat storm costs NATS and the gateways, with and
// without the chat relay (sampling at the source, ROAR_CHAT_RELAY) and with 1 or 4 worker
// threads per gateway process (sharing one NATS connection, ROAR_WORKER_BUS=shared, or each its
// own). Real nats-server (with monitoring), redis-server, aggregator and gateway processes on
// loopback; viewers and chatters are WebSocket clients in this process. Run alone:
//   node loadtest/bench/run.mjs --only relay --out /tmp/relay-bench
import { freePort, TestClient } from '@roar/testkit';
import { startAggregator, startBrokers } from '../lib/brokers.mjs';
import { procUsage, sleep } from '../lib/proc.mjs';
import { startServer } from '../lib/servers.mjs';

/** NATS server totals (`/varz`): messages in and out so far. */
async function varz(port) {
  const res = await fetch(`http://127.0.0.1:${port}/varz`);
  const v = await res.json();
  return { in: v.in_msgs, out: v.out_msgs };
}

export async function runRelay(cfg, ctx) {
  const out = { processes: cfg.processes, viewersPerProcess: cfg.viewersPerProcess, runs: [] };
  for (const variant of cfg.variants) {
    if (ctx.left() < 30_000) {
      out.runs.push({ ...variant, skipped: 'deadline' });
      continue;
    }
    out.runs.push(await runVariant(cfg, variant, ctx));
  }
  return out;
}

async function runVariant(cfg, variant, ctx) {
  const brokers = await startBrokers({ monitor: true });
  const { monitorPort } = brokers;
  const clients = [];
  const children = [brokers.nats, brokers.redis];
  try {
    const shared = {
      ...brokers.env,
      ROAR_PREFIX: `relay${ctx.runId}`,
      ROAR_LOG_LEVEL: 'info',
      ROAR_CHAT_RELAY: variant.relay ? 'on' : 'off',
    };
    const aggregator = await startAggregator(shared);
    children.push(aggregator);
    const gateways = [];
    for (let i = 0; i < cfg.processes; i++) {
      gateways.push(
        await startServer('roar', {
          name: `relay-gw${i}`,
          env: {
            ...shared,
            ROAR_MODE: 'gateway',
            ROAR_WORKERS: String(variant.workers),
            ROAR_WORKER_BUS: variant.bus ?? 'shared',
            // Several workers share a fixed port; one may take any.
            ROAR_PORT: String(variant.workers > 1 ? await freePort() : 0),
            ROAR_ANONYMOUS_CHAT: 'true',
            ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
          },
        }),
      );
    }
    children.push(...gateways.map((g) => g.proc));
    const stream = 'storm';
    const connect = async (gw, anon) => {
      const c = await TestClient.connect(`ws://127.0.0.1:${gw.port}/ws`, { query: { anon } });
      clients.push(c);
      await c.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
      const joined = await c.request({ type: 'join', stream }, 10_000);
      if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
      return c;
    };
    const viewers = [];
    for (const [i, gw] of gateways.entries())
      for (let v = 0; v < cfg.viewersPerProcess; v++)
        viewers.push(await connect(gw, `v${ctx.runId}-${i}-${v}`));
    const chatters = [];
    for (let k = 0; k < cfg.chatters; k++)
      chatters.push(await connect(gateways[k % gateways.length], `c${ctx.runId}-${k}`));
    // Until chat flows (the stream's rules loaded; the relay's beat heard).
    for (let tries = 0; ; tries++) {
      const r = await chatters[0].request({ type: 'chat', stream, text: 'warm-up' });
      if (r.type === 'ack') break;
      if (tries > 30) throw new Error(`chat never accepted: ${JSON.stringify(r)}`);
      await sleep(500);
    }
    await sleep(2000);

    // The idle rate (reports, counts, beats) over as long as the storm, to subtract.
    const idle0 = await varz(monitorPort);
    await sleep(cfg.seconds * 1000);
    const idle1 = await varz(monitorPort);

    const chatBefore = viewers.map((v) => v.eventsOf(stream, 'chat').length);
    const messagesBefore = viewers.map((v) => v.messages.length);
    const cpu0 = gateways.map((g) => procUsage(g.pid).cpuS);
    const aggCpu0 = procUsage(aggregator.pid).cpuS;
    const n0 = await varz(monitorPort);
    const t0 = Date.now();
    let accepted = 0;
    let refused = 0;
    await Promise.all(
      chatters.map(async (c, k) => {
        for (let i = 0; Date.now() - t0 < cfg.seconds * 1000; i++) {
          const due = t0 + (i * 1000) / cfg.ratePerChatter;
          if (due > Date.now()) await sleep(due - Date.now());
          c.send({ type: 'chat', stream, text: `storm ${k}.${i}`, ref: 1_000_000 + i });
        }
      }),
    );
    await sleep(cfg.graceMs);
    const elapsedS = (Date.now() - t0) / 1000;
    const n1 = await varz(monitorPort);
    const cpu1 = gateways.map((g) => procUsage(g.pid).cpuS);
    const aggCpu1 = procUsage(aggregator.pid).cpuS;
    for (const c of chatters)
      for (const m of c.messages) {
        if (m.type === 'ack' && m.ref >= 1_000_000) accepted++;
        else if (m.type === 'error' && m.ref >= 1_000_000) refused++;
      }
    const idleOut = idle1.out - idle0.out;
    const idleIn = idle1.in - idle0.in;
    const chatOut = n1.out - n0.out - idleOut;
    const chatIn = n1.in - n0.in - idleIn;
    const shown = viewers.map((v, i) => v.eventsOf(stream, 'chat').length - chatBefore[i]);
    const cpuS = cpu1.reduce((s, c, i) => s + c - cpu0[i], 0);
    // Accepted (`ts`, the gateway's clock: one machine here) to a viewer's socket, storm only.
    const lags = [];
    viewers.forEach((v, i) => {
      for (let k = messagesBefore[i]; k < v.messages.length; k++) {
        const m = v.messages[k];
        if (m.type !== 'batch') continue;
        for (const e of m.events)
          if (e.type === 'chat' && e.text.startsWith('storm')) lags.push(v.arrivals[k] - e.ts);
      }
    });
    lags.sort((x, y) => x - y);
    const pct = (q) =>
      lags.length ? lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] : null;
    const viewerSeconds = (viewers.length + chatters.length) * elapsedS;
    const run = {
      ...variant,
      accepted,
      refused,
      natsIn: chatIn,
      natsOut: chatOut,
      natsOutPerChat: accepted > 0 ? round(chatOut / accepted, 2) : null,
      natsTotalPerChat: accepted > 0 ? round((chatOut + chatIn) / accepted, 2) : null,
      idleOutPerS: round(idleOut / cfg.seconds, 1),
      chatLatencyP50Ms: pct(0.5),
      chatLatencyP99Ms: pct(0.99),
      shownPerViewerPerS: round(shown.reduce((s, n) => s + n, 0) / viewers.length / elapsedS, 1),
      gatewayCpuS: round(cpuS, 2),
      // The relay runs in the aggregator: its cost moves there.
      aggregatorCpuS: round(aggCpu1 - aggCpu0, 2),
      cpuUsPerViewerSecond: round((cpuS * 1e6) / viewerSeconds, 1),
      cpuUsPerAcceptedChat: accepted > 0 ? round((cpuS * 1e6) / accepted, 0) : null,
    };
    ctx.log(`relay: ${JSON.stringify(run)}`);
    return run;
  } finally {
    for (const c of clients) c.socket.terminate();
    for (const child of children.reverse()) await child.stop('SIGKILL');
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
