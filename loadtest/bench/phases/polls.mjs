// Polls: a voting burst over several gateway processes (ROAR_MODE=gateway) on a real
// nats-server and redis-server. Every voter is signed in and votes once within `seconds`
// (`twins` users vote from a second connection on another gateway too, the same answer); then
// the poll is closed. Measured: the results against the truth, the time from the close to every
// viewer showing the final result, gateway CPU per vote against a reaction (the same burst of
// reactions), and Redis commands per vote (INFO commandstats around the burst and the close).
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { nowMs } from '../drivers/common.mjs';
import { addressesFor } from '../lib/addresses.mjs';
import { startBrokers, startGateways } from '../lib/brokers.mjs';
import { Worker } from '../lib/pool.mjs';
import { procUsage, sleep, waitUntil } from '../lib/proc.mjs';
import { JWT_SECRET } from '../lib/servers.mjs';
import { round, split } from '../lib/split.mjs';

const VOTERS = fileURLToPath(new URL('./polls-voters.mjs', import.meta.url));
const API_KEY = 'bench-polls-0123456789abcdef0123456789abcdef';
const OPTIONS = ['India', 'Pakistan', 'Rain', 'Tie'];
const STREAM = 'final';

export async function runPolls(cfg, ctx) {
  const out = {
    voters: cfg.voters,
    twins: cfg.twins,
    gateways: cfg.gateways,
    seconds: cfg.seconds,
  };
  const brokers = await startBrokers();
  const { redisPort } = brokers;
  const gateways = await startGateways(cfg.gateways, {
    name: 'poll-gw',
    env: {
      ...brokers.env,
      ROAR_PREFIX: `bench${ctx.runId}`,
      ROAR_ADMIN_API_KEYS: `bench:${API_KEY}`,
      // One vote and one reaction per voter: the per-user reaction rate is not what is measured.
      ROAR_REACTION_BURST: '10',
    },
  });
  const workers = Array.from({ length: cfg.workers }, (_, i) => new Worker(`voters-${i}`, VOTERS));
  try {
    // Voter i on gateway i mod G; twin j (the same user) also on gateway j+1 mod G.
    const truth = OPTIONS.map(() => 0);
    const users = [];
    for (let i = 0; i < cfg.voters; i++) {
      // 40%, 30%, 20% and 10%: a result whose answers cannot be confused with one another.
      const option = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3][(i * 7) % 10];
      truth[option]++;
      users.push({ sub: `voter-${ctx.runId}-${i}`, option, port: gateways[i % cfg.gateways].port });
      if (i < cfg.twins)
        users.push({
          sub: `voter-${ctx.runId}-${i}`,
          option,
          port: gateways[(i + 1) % cfg.gateways].port,
        });
    }
    const shares = split(users.length, cfg.workers);
    let at = 0;
    const t0 = nowMs();
    const opened = await Promise.all(
      workers.map((w, k) => {
        const mine = users.slice(at, (at += shares[k]));
        return w.request(
          'open',
          {
            host: '127.0.0.1',
            users: mine,
            secret: JWT_SECRET,
            stream: STREAM,
            ...addressesFor(mine.length),
          },
          cfg.openBudgetMs,
        );
      }),
    );
    const connections = opened.reduce((n, r) => n + r.opened, 0);
    out.openMs = Math.round(nowMs() - t0);
    ctx.log(`polls: ${connections} connections of ${users.length} open in ${out.openMs} ms`);
    if (connections !== users.length)
      throw new Error(
        `only ${connections} of ${users.length} opened: ${JSON.stringify(opened.map((r) => r.errors))}`,
      );

    const cpu = () => gateways.reduce((s, g) => s + procUsage(g.pid).cpuS, 0);
    // Idle: what the gateways spend doing nothing for as long as a burst window lasts.
    await sleep(1000);
    let c0 = cpu();
    let w0 = nowMs();
    await sleep(cfg.seconds * 1000);
    const idlePerS = (cpu() - c0) / ((nowMs() - w0) / 1000);

    const admin = (method, path) =>
      fetch(`http://127.0.0.1:${gateways[0].port}/admin/v1/streams/${STREAM}${path}`, {
        method,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        ...(method === 'POST' && path === '/polls'
          ? { body: JSON.stringify({ question: 'Who wins?', options: OPTIONS }) }
          : {}),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const open = await admin('POST', '/polls');
    if (open.status !== 201) throw new Error(`open failed: ${JSON.stringify(open)}`);
    const poll = open.body.poll.id;
    const seen = await waitUntil(async () => {
      const s = await Promise.all(workers.map((w) => w.request('status')));
      return s.every((x) => x.sawPoll === x.connections) && s;
    }, 20_000);
    if (!seen) throw new Error('not every voter saw the poll open');
    await Promise.all(workers.map((w) => w.request('target', { total: cfg.voters })));

    // The vote burst.
    const r0 = await commandStats(redisPort);
    c0 = cpu();
    w0 = nowMs();
    const startAt = nowMs() + 200;
    const sent = await Promise.all(
      workers.map((w) =>
        w.request(
          'send',
          { kind: 'vote', stream: STREAM, poll, seconds: cfg.seconds, startAt },
          cfg.seconds * 1000 + 30_000,
        ),
      ),
    );
    const lastAck = Math.max(...sent.map((s) => s.lastAckAt));
    out.votes = merge(sent);
    // Open results: every viewer sees the total including the last vote.
    const all = await waitUntil(async () => {
      const s = await Promise.all(workers.map((w) => w.request('status')));
      return s.every((x) => x.sawTotal === x.connections) && s;
    }, 20_000);
    out.lastVoteToAllMs = all
      ? Math.round(Math.max(...all.map((x) => x.lastTotalAt)) - lastAck)
      : undefined;
    const voteWindowS = (Math.max(lastAck + 1500, nowMs()) - w0) / 1000;
    await sleep(Math.max(0, lastAck + 1500 - nowMs()));
    const voteCpu = cpu() - c0 - idlePerS * voteWindowS;

    const closedAt = nowMs();
    const close = await admin('POST', `/polls/${poll}/close`);
    if (close.status !== 200) throw new Error(`close failed: ${JSON.stringify(close)}`);
    const final = await waitUntil(async () => {
      const s = await Promise.all(workers.map((w) => w.request('status')));
      return s.every((x) => x.sawFinal === x.connections) && s;
    }, 20_000);
    if (!final) throw new Error('not every viewer showed the final result within 20 s');
    out.closeToAllFinalMs = Math.round(Math.max(...final.map((x) => x.lastFinalAt)) - closedAt);
    // The part before the grace: the close reaching every viewer as `counting`.
    out.closeToAllCountingMs = Math.round(
      Math.max(...final.map((x) => x.lastCountingAt)) - closedAt,
    );
    const r1 = await commandStats(redisPort);
    const finals = {};
    for (const s of final)
      for (const [k, n] of Object.entries(s.finals)) finals[k] = (finals[k] ?? 0) + n;
    const stored = await admin('GET', `/polls/${poll}`);
    const expected = JSON.stringify({ votes: truth, total: cfg.voters });
    out.truth = truth;
    out.finalsSeen = finals;
    out.stored = { votes: stored.body.poll.votes, voters: stored.body.poll.voters };
    out.exact =
      Object.keys(finals).length === 1 &&
      Object.keys(finals)[0] === expected &&
      JSON.stringify(out.stored) === JSON.stringify({ votes: truth, voters: cfg.voters });
    const calls = diffStats(r0, r1);
    out.redisCommands = calls;
    out.redisCommandsTotal = Object.values(calls).reduce((a, b) => a + b, 0);
    out.redisCommandsPerVote = round(out.redisCommandsTotal / cfg.voters, 4);

    // The same burst of reactions, for CPU per vote against CPU per reaction.
    c0 = cpu();
    w0 = nowMs();
    const reacted = await Promise.all(
      workers.map((w) =>
        w.request(
          'send',
          { kind: 'react', stream: STREAM, seconds: cfg.seconds, startAt: nowMs() + 200 },
          cfg.seconds * 1000 + 30_000,
        ),
      ),
    );
    const lastReact = Math.max(...reacted.map((s) => s.lastAckAt));
    await sleep(Math.max(0, lastReact + 1500 - nowMs()));
    const reactCpu = cpu() - c0 - idlePerS * ((nowMs() - w0) / 1000);
    out.reactions = merge(reacted);
    out.cpuPerVoteUs = round((voteCpu / out.votes.acked) * 1e6, 1);
    out.cpuPerReactionUs = round((reactCpu / out.reactions.acked) * 1e6, 1);
    out.cpuVoteToReaction = round(voteCpu / out.votes.acked / (reactCpu / out.reactions.acked), 2);
    out.idleCpuPerS = round(idlePerS, 3);
    ctx.log(
      `polls: exact ${out.exact}, close→all final ${out.closeToAllFinalMs} ms ` +
        `(→ all counting ${out.closeToAllCountingMs} ms), ` +
        `CPU/vote ${out.cpuPerVoteUs} µs vs /reaction ${out.cpuPerReactionUs} µs (${out.cpuVoteToReaction}×), ` +
        `Redis ${out.redisCommandsPerVote} commands/vote`,
    );
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(gateways.map((g) => g.proc.stop('SIGKILL')));
    await brokers.stop();
  }
}

function merge(list) {
  const errors = {};
  for (const s of list)
    for (const [k, n] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + n;
  return {
    sent: list.reduce((n, s) => n + s.sent, 0),
    acked: list.reduce((n, s) => n + s.acked, 0),
    errors,
  };
}

/** `INFO commandstats` of the bench's Redis: command → calls so far. */
function commandStats(port) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      text += chunk;
      const header = /^\$(\d+)\r\n/.exec(text);
      if (!header || Buffer.byteLength(text) < header[0].length + Number(header[1])) return;
      socket.end();
      const calls = {};
      for (const [, name, n] of text.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
        calls[name] = Number(n);
      resolve(calls);
    });
    socket.write('INFO commandstats\r\n');
  });
}

/** Calls made between two readings, without the readings' own INFO. */
function diffStats(before, after) {
  const out = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) out[name] = d;
  }
  return out;
}
