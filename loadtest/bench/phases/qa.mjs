// Q&A (issue 14): an upvote burst over several gateway processes (ROAR_MODE=gateway) on a real
// nats-server and redis-server started here. `voters` signed-in viewers, spread over the
// gateways, upvote `questions` questions within `burstMs` (a skewed choice, so the order is
// decided by the counts); `dupShare` of them send the same upvote again from a second connection
// on another gateway. Measured: exactness (the final board equals the truth, duplicates counted
// once), Redis commands per upvote (INFO, all commands during the burst, board reads included,
// and the upvote batches alone from the gateways' `roar_qa_store_calls_total`), and the time from
// the last upvote sent to every viewer showing the final order.
import { msgpackCodec } from '@roar/protocol';
import { Redis } from 'ioredis';
import { createHmac } from 'node:crypto';
import { nowMs, openSocket } from '../drivers/common.mjs';
import { startBrokers, startGateways } from '../lib/brokers.mjs';
import { sleep, waitUntil } from '../lib/proc.mjs';
import { JWT_SECRET, fetchMetrics, metric } from '../lib/servers.mjs';

const codec = msgpackCodec;
const STREAM = 'qa-bench';

function token(sub, roles = []) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, name: sub, roles, exp })}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

/** A signed-in viewer of the stream: requests by ref, and the latest board it received. */
async function viewer(port, sub, roles) {
  const pending = new Map();
  let ref = 0;
  const self = { board: undefined, boardAt: 0, onBoard: undefined };
  const ws = await openSocket({
    url: `ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token(sub, roles))}`,
    protocol: codec.subprotocol,
    timeoutMs: 20_000,
    onClose: () => {},
    handshake: (socket, done, fail) => {
      let joined = false;
      socket.on('message', (data) => {
        const m = codec.decodeServer(data);
        if (!joined) {
          if (m.type === 'welcome')
            socket.send(codec.encodeClient({ type: 'join', stream: STREAM, ref: 0 }));
          else if (m.type === 'joined') {
            joined = true;
            done();
          } else if (m.type === 'error') fail(new Error(`${m.code}: ${m.message}`));
          return;
        }
        if (m.type === 'batch') {
          for (const e of m.events)
            if (e.type === 'qa') {
              self.board = e;
              self.boardAt = nowMs();
              self.onBoard?.();
            }
        } else if ((m.type === 'ack' || m.type === 'error') && pending.has(m.ref)) {
          pending.get(m.ref)(m);
          pending.delete(m.ref);
        }
      });
    },
  });
  self.request = (message) =>
    new Promise((resolve) => {
      const r = ++ref;
      pending.set(r, resolve);
      ws.send(codec.encodeClient({ ...message, ref: r }));
    });
  self.close = () => ws.close();
  return self;
}

/**
 * Commands Redis processed: `sent`, those clients sent (scripts count one each), and `run`, every
 * command including those the scripts ran inside Redis (INFO's total).
 */
async function redisTotals(redis) {
  const stats = await redis.info('stats');
  const run = Number(/total_commands_processed:(\d+)/.exec(stats)?.[1]);
  const commandstats = await redis.info('commandstats');
  let inScripts = 0;
  let scripts = 0;
  for (const [, name, calls] of commandstats.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (name === 'evalsha' || name === 'eval') scripts += Number(calls);
    else inScripts += Number(calls);
  }
  return { run, scripts, inScripts };
}

export async function runQa(cfg, ctx) {
  const out = { gateways: cfg.gateways, voters: cfg.voters, questions: cfg.questions, notes: [] };
  const brokers = await startBrokers();
  const { redisPort } = brokers;
  const gateways = await startGateways(cfg.gateways, {
    name: 'qa-gw',
    env: { ...brokers.env, ROAR_PREFIX: `qa${ctx.runId}`, ROAR_QA_ASK_INTERVAL_MS: '0' },
  });
  const redis = new Redis(redisPort, '127.0.0.1');
  const clients = [];
  try {
    const on = (i) => gateways[i % gateways.length].port;
    const host = await viewer(on(0), 'host', [`moderator:${STREAM}`]);
    clients.push(host);
    const opened = await host.request({ type: 'qa_mod', stream: STREAM, action: { type: 'open' } });
    if (opened.type !== 'ack') throw new Error(`open: ${JSON.stringify(opened)}`);
    const ids = [];
    for (let q = 0; q < cfg.questions; q++) {
      const asker = await viewer(on(q), `asker${q}`);
      clients.push(asker);
      const r = await asker.request({ type: 'ask', stream: STREAM, text: `question ${q}` });
      if (r.type !== 'ack') throw new Error(`ask: ${JSON.stringify(r)}`);
      ids.push(r.id);
    }
    const voters = [];
    for (let start = 0; start < cfg.voters; start += 200) {
      const batch = Array.from({ length: Math.min(200, cfg.voters - start) }, (_, k) =>
        viewer(on(start + k), `voter${start + k}`),
      );
      voters.push(...(await Promise.all(batch)));
    }
    clients.push(...voters);
    const twins = [];
    const dupCount = Math.floor(cfg.voters * cfg.dupShare);
    for (let i = 0; i < dupCount; i++) twins.push(await viewer(on(i + 1), `voter${i}`));
    clients.push(...twins);
    ctx.log(
      `qa: ${voters.length} voters (+${twins.length} second connections) on ${gateways.length} gateways`,
    );
    // Voter i upvotes question ⌊q² ⌋-skewed: low indexes get more; the truth is counted here.
    const choice = (i) => Math.floor(cfg.questions * ((i * 0.6180339887) % 1) ** 2);
    const truth = new Map(ids.map((id) => [id, 0]));
    for (let i = 0; i < voters.length; i++)
      truth.set(ids[choice(i)], truth.get(ids[choice(i)]) + 1);
    const expected = [...truth]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1))
      .slice(0, 20)
      .map(([id, n]) => `${id}:${n}`)
      .join(',');
    const shows = (c) => c.board?.top.map((q) => `${q.id}:${q.upvotes}`).join(',') === expected;

    await sleep(1500);
    const callsBefore = await storeCalls(gateways);
    const cmdBefore = await redisTotals(redis);
    const startAt = nowMs();
    const sends = [];
    let lastSentAt = startAt;
    const gap = cfg.burstMs / voters.length;
    for (let i = 0; i < voters.length; i++) {
      const id = ids[choice(i)];
      sends.push(voters[i].request({ type: 'upvote', stream: STREAM, id }));
      if (i < twins.length) sends.push(twins[i].request({ type: 'upvote', stream: STREAM, id }));
      lastSentAt = nowMs();
      if (i % 50 === 49) await sleep(Math.max(0, startAt + gap * (i + 1) - nowMs()));
    }
    const replies = await Promise.all(sends);
    const lastAckAt = nowMs();
    const acks = replies.filter((r) => r.type === 'ack').length;
    const dups = replies.filter((r) => r.type === 'error' && r.code === 'already_upvoted').length;
    const other = replies.length - acks - dups;
    const watchers = [...voters, ...twins, host];
    const seen = (await waitUntil(() => watchers.every(shows), 20_000, 50)) === true;
    const allSeenAt = Math.max(...watchers.map((c) => c.boardAt));
    const cmdAfter = await redisTotals(redis);
    const callsAfter = await storeCalls(gateways);
    const batches = callsAfter.upvote_batch - callsBefore.upvote_batch;
    const sent = voters.length + twins.length;
    out.burst = {
      upvotes: voters.length,
      duplicatesSent: twins.length,
      acked: acks,
      refusedAsDuplicate: dups,
      otherReplies: other,
      sendMs: Math.round(lastSentAt - startAt),
      lastAckMs: Math.round(lastAckAt - lastSentAt),
      exact: seen,
      lastUpvoteToAllViewersMs: seen ? Math.round(allSeenAt - lastSentAt) : undefined,
      viewers: watchers.length,
      // Our own two INFO calls excluded: what the gateways sent (a script is one command).
      redisCommandsSent: cmdAfter.scripts - cmdBefore.scripts,
      redisCommandsPerUpvote: round((cmdAfter.scripts - cmdBefore.scripts) / sent),
      redisCommandsRunPerUpvote: round((cmdAfter.run - cmdBefore.run - 2) / sent),
      upvoteBatches: batches,
      upvoteBatchesPerUpvote: round(batches / sent),
      boardReads: callsAfter.board - callsBefore.board,
    };
    if (!seen) out.notes.push('not every viewer showed the exact final order within 20 s');
    if (acks !== voters.length) out.notes.push(`acks ${acks} ≠ voters ${voters.length}`);
    ctx.log(`qa: ${JSON.stringify(out.burst)}`);
  } finally {
    for (const c of clients) c.close();
    redis.disconnect();
    await Promise.all(gateways.map((g) => g.proc.stop('SIGKILL')));
    await brokers.stop();
  }
  return out;
}

async function storeCalls(gateways) {
  const sums = { upvote_batch: 0, board: 0 };
  for (const g of gateways) {
    const m = await fetchMetrics(g.port);
    for (const op of Object.keys(sums))
      sums[op] += metric(m, 'roar_qa_store_calls_total', { op }) ?? 0;
  }
  return sums;
}

const round = (n) => Math.round(n * 1000) / 1000;
