// A load-generator child for the scheduled-events bench (phases/scheduled.mjs), forked with IPC.
// `toss`: opens `count` viewers, interleaved over `streams`, as fast as it can from `at` (wall
// clock, shared by every child) and times each from dial to `joined`, and from `welcome` to `joined` (the join
// alone, without the queue of handshakes in front of it). `storm`: `count` clients arrive spread over
// `spreadMs` and keep dialling until admitted, either honouring the gateway's admission tickets
// (the SDK's way) or retrying after a jittered Retry-After (the old way); each reports when it
// first arrived and when it got in. Every loop is bounded by count and `budgetMs`.
import WebSocket from 'ws';
import { nowMs } from './drivers/common.mjs';

const open = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One dial: resolves with the socket once `joined` (or the upgrade's refusal). */
function dial({ url, stream, localAddress, ticket, timeoutMs = 30_000 }) {
  return new Promise((resolve) => {
    const target = new URL(url);
    if (ticket) target.searchParams.set('ticket', ticket);
    const ws = new WebSocket(target.href, 'roar.v1.json', {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      localAddress,
    });
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      finish({ error: 'timeout' });
    }, timeoutMs);
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        req.destroy();
        finish({ refused: res.statusCode, retryAfterS: Number(res.headers['retry-after']), body });
      });
    });
    ws.on('error', (e) => finish({ error: e.code ?? e.message }));
    ws.on('close', () => finish({ error: 'closed' }));
    let welcomedAt;
    // When the upgrade succeeded: the moment the gateway admitted this client.
    let openedAt;
    ws.on('open', () => {
      openedAt = nowMs();
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'welcome') {
        welcomedAt = nowMs();
        ws.send(JSON.stringify({ type: 'join', ref: 1, stream }));
      } else if (m.type === 'joined') finish({ ws, joinMs: nowMs() - welcomedAt, openedAt });
    });
  });
}

async function toss({ url, streams, count, at, addresses, perAddress, budgetMs }) {
  await sleep(Math.max(0, at - Date.now()));
  const until = Date.now() + budgetMs;
  // Per stream, interleaved: client i joins streams[i % streams.length].
  const out = Object.fromEntries(streams.map((s) => [s, { latencies: [], joins: [], errors: {} }]));
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      if (Date.now() > until) return;
      const stream = streams[i % streams.length];
      const o = out[stream];
      const t = nowMs();
      const r = await dial({ url, stream, localAddress: addresses[Math.floor(i / perAddress)] });
      if (r.ws) {
        o.latencies.push(nowMs() - t);
        o.joins.push(r.joinMs);
        open.push(r.ws);
      } else {
        const key = r.error ?? `http_${r.refused}`;
        o.errors[key] = (o.errors[key] ?? 0) + 1;
      }
    }),
  );
  return out;
}

async function storm({ url, stream, count, at, spreadMs, addresses, perAddress, mode, budgetMs }) {
  const until = at + budgetMs;
  const clients = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const localAddress = addresses[Math.floor(i / perAddress)];
      await sleep(Math.max(0, at + (spreadMs * i) / count - Date.now()));
      const arrivedAt = nowMs();
      let ticket;
      let attempts = 0;
      while (Date.now() < until) {
        attempts++;
        const r = await dial({ url, stream, localAddress, ticket });
        if (r.ws) {
          open.push(r.ws);
          return { arrivedAt, admittedAt: r.openedAt, attempts };
        }
        if (r.refused !== 503) {
          await sleep(200);
          continue;
        }
        if (mode === 'ticket' && r.body?.ticket) {
          ticket = r.body.ticket;
          await sleep(r.body.retryAfterMs);
        } else {
          // The old client: Retry-After (seconds) with up to as much again of jitter.
          const s = Number.isFinite(r.retryAfterS) ? r.retryAfterS : 1;
          await sleep(s * 1000 * (1 + Math.random()));
        }
      }
      return { arrivedAt, admittedAt: undefined, attempts };
    }),
  );
  return { clients };
}

process.on('message', async ({ id, cmd, args }) => {
  try {
    let result;
    if (cmd === 'toss') result = await toss(args);
    else if (cmd === 'storm') result = await storm(args);
    else if (cmd === 'close') {
      for (const ws of open.splice(0)) ws.terminate();
      result = { closed: true };
    } else throw new Error(`unknown command ${cmd}`);
    process.send({ id, ok: true, result });
  } catch (error) {
    process.send({ id, ok: false, error: String(error.stack ?? error) });
  }
});
