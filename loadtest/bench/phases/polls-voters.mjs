// A voter worker for the polls bench (phases/polls.mjs): holds signed-in connections to several
// gateways, all in one stream, votes or reacts once per connection on command (spread over a
// window), and records what each connection saw of the poll. Bounded: it opens exactly the
// connections it is given and sends one vote and one reaction per connection at most.
import { msgpackCodec as codec } from '@roar/protocol';
import { nowMs, openSocket } from '../drivers/common.mjs';
import { mintToken } from '../drivers/roar.mjs';

/** { ws, sub, option, emoji, poll: latest poll event, sawFinalAt, sawTotalAt, pending } */
const conns = [];
let target = Infinity;
const acks = new Map();
let nextRef = 10;

function onFrame(conn, data) {
  const m = codec.decodeServer(data);
  if (m.type === 'ack' || m.type === 'error') {
    const waiter = acks.get(m.ref);
    if (waiter) {
      acks.delete(m.ref);
      waiter(m);
    }
    return;
  }
  if (m.type !== 'batch') return;
  for (const e of m.events) {
    if (e.type !== 'poll') continue;
    conn.poll = e;
    if (e.state === 'counting') conn.sawCountingAt ??= nowMs();
    if (e.state === 'closed') conn.sawFinalAt ??= nowMs();
    if (e.state === 'open' && e.total >= target) conn.sawTotalAt ??= nowMs();
  }
}

async function open({ host, users, secret, stream, addresses, perAddress, concurrency = 64 }) {
  const result = { opened: 0, errors: {} };
  let next = 0;
  const lane = async () => {
    while (next < users.length) {
      const i = next++;
      const u = users[i];
      const conn = { sub: u.sub, option: u.option, poll: undefined, emoji: undefined };
      try {
        conn.ws = await openSocket({
          url: `ws://${host}:${u.port}/ws?token=${encodeURIComponent(mintToken(secret, u.sub))}`,
          protocol: codec.subprotocol,
          localAddress: addresses[Math.floor(i / perAddress)],
          handshake: (ws, done, fail) => {
            let joined = false;
            ws.on('message', (data) => {
              if (joined) return onFrame(conn, data);
              const m = codec.decodeServer(data);
              if (m.type === 'welcome')
                ws.send(codec.encodeClient({ type: 'join', ref: 1, stream }));
              else if (m.type === 'joined') {
                joined = true;
                conn.emoji = m.reactions[0];
                done();
              } else if (m.type === 'error') fail(new Error(`roar error ${m.code}`));
            });
          },
        });
        conns.push(conn);
        result.opened++;
      } catch (error) {
        const key = String(error.message).slice(0, 60);
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, lane));
  return result;
}

/** One request per connection, the i-th sent at `startAt + i/n × seconds`; resolves on the replies. */
function sendAll({ kind, stream, poll, seconds, startAt }) {
  const n = conns.length;
  return new Promise((resolve) => {
    const out = { sent: 0, acked: 0, errors: {}, firstAt: undefined, lastAckAt: 0 };
    let replies = 0;
    const reply = (m) => {
      replies++;
      if (m.type === 'ack') out.acked++;
      else out.errors[m.code] = (out.errors[m.code] ?? 0) + 1;
      out.lastAckAt = Math.max(out.lastAckAt, nowMs());
      if (replies === n) resolve(out);
    };
    if (n === 0) return resolve(out);
    const timer = setInterval(() => {
      const due = Math.min(n, Math.floor(((nowMs() - startAt) / (seconds * 1000)) * n) + 1);
      while (out.sent < due) {
        const c = conns[out.sent++];
        const ref = nextRef++;
        acks.set(ref, reply);
        out.firstAt ??= nowMs();
        const message =
          kind === 'vote'
            ? { type: 'vote', ref, stream, poll, option: c.option }
            : { type: 'react', ref, stream, emoji: c.emoji };
        c.ws.send(codec.encodeClient(message));
      }
      if (out.sent >= n) clearInterval(timer);
    }, 5);
  });
}

function status() {
  const finals = new Map();
  let sawPoll = 0;
  let sawFinal = 0;
  let sawTotal = 0;
  let lastFinalAt = 0;
  let lastTotalAt = 0;
  let lastCountingAt = 0;
  for (const c of conns) {
    if (c.sawCountingAt !== undefined) lastCountingAt = Math.max(lastCountingAt, c.sawCountingAt);
    if (c.poll) sawPoll++;
    if (c.sawTotalAt !== undefined) {
      sawTotal++;
      lastTotalAt = Math.max(lastTotalAt, c.sawTotalAt);
    }
    if (c.sawFinalAt !== undefined) {
      sawFinal++;
      lastFinalAt = Math.max(lastFinalAt, c.sawFinalAt);
      const key = JSON.stringify({ votes: c.poll?.votes, total: c.poll?.total });
      finals.set(key, (finals.get(key) ?? 0) + 1);
    }
  }
  return {
    connections: conns.length,
    pollId: conns[0]?.poll?.id,
    sawPoll,
    sawTotal,
    sawFinal,
    lastTotalAt,
    lastFinalAt,
    lastCountingAt,
    finals: Object.fromEntries(finals),
  };
}

const commands = {
  open,
  status,
  target: ({ total }) => void (target = total),
  send: sendAll,
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, ok: true, result: await commands[cmd](args) });
  } catch (error) {
    process.send({ id, ok: false, error: error.stack ?? String(error) });
  }
});
process.on('disconnect', () => {
  for (const c of conns) c.ws.terminate();
  process.exit(0);
});
