// A load-generator worker, forked by the orchestrator: it holds up to ~19k connections (one
// process may hold 20,000 open files here), speaks one server's protocol through a driver, and
// answers the orchestrator's commands over IPC. It never loops without a bound: opening stops at
// the count or the deadline, sending at the count.
import { Histogram } from './lib/histogram.mjs';
import { nowMs, RefusedError } from './drivers/common.mjs';

const drivers = new Map();
async function driverOf(name) {
  if (!drivers.has(name)) drivers.set(name, await import(`./drivers/${name}.mjs`));
  return drivers.get(name);
}

/** Open connections, in opening order. */
const conns = [];
const closes = new Map();

// Measurement window: chat messages whose send time is in [from, to) are counted and timed.
let win = { from: -Infinity, to: Infinity };
let messages = 0;
let frames = 0;
let bytes = 0;
let hist = new Histogram();
/** When the last counted chat message arrived. */
let lastAt = 0;
let sinceMs = nowMs();
let cpuMark = process.cpuUsage();

// Live widgets: while on, each connection records its frames carrying the widget key (`seq` of
// the value, arrival time), to count frames per tick and the time each update took to arrive.
let stateOn = false;
const STATE_KEY = 'bench';
let chatReach = new Map();

// Count freshness: how many connections have seen a total of at least `target`.
let watch = { target: Infinity, reached: 0, reachedAt: undefined };

function makeSink(state) {
  return {
    frame(size) {
      frames++;
      bytes += size;
    },
    /** A chat message sent at `sentAt`, read at `now` (drivers pass one time for a whole read). */
    chat(sentAt, now = nowMs()) {
      if (sentAt >= win.from && sentAt < win.to) {
        messages++;
        hist.record(now - sentAt);
        if (now > lastAt) lastAt = now;
      }
      // Widgets runs: each chat message's time to the last viewer here, by its send time.
      if (stateOn) chatReach.set(sentAt, Math.max(chatReach.get(sentAt) ?? 0, now - sentAt));
    },
    total(total) {
      const before = state.total;
      state.total = total;
      if (state.counted && before < watch.target && total >= watch.target) {
        watch.reached++;
        watch.firstAt ??= nowMs();
        if (watch.reached >= countedConns()) watch.reachedAt ??= nowMs();
      }
    },
    state(event) {
      const seq = event.changes?.[STATE_KEY]?.value?.seq;
      if (typeof seq === 'number') this.stateSeq(seq);
    },
    /** A frame carrying value `seq` of the widget key, read at `now`. */
    stateSeq(seq, now = nowMs()) {
      state.lastSeq = Math.max(state.lastSeq ?? 0, seq);
      // The value it holds now: concurrent writes may reach the store out of their order.
      state.heldSeq = seq;
      if (!stateOn) return;
      (state.stateFrames ??= []).push(seq, now);
    },
    closed(code) {
      if (!state.open) return;
      markClosed(state);
      closes.set(code, (closes.get(code) ?? 0) + 1);
    },
  };
}

/** Open connections that count toward `watch`. */
let counted = 0;
const countedConns = () => counted;
function markClosed(state) {
  if (!state.open) return;
  state.open = false;
  if (state.counted && state.conn) counted--;
}

async function openMany(spec) {
  const driver = await driverOf(spec.driver);
  const started = nowMs();
  const deadline = Date.now() + (spec.timeBudgetMs ?? 120_000);
  const result = { opened: 0, refused: 0, retryAfter: 0, statuses: {}, errors: {}, ms: 0 };
  let next = 0;
  const lane = async () => {
    while (next < spec.count && Date.now() < deadline) {
      const i = next++;
      const state = { total: -1, open: true, counted: spec.counted !== false };
      try {
        const conn = await driver.open({
          host: spec.host,
          port: spec.port,
          localAddress: spec.addresses[Math.floor(i / spec.perAddress)],
          stream: spec.stream,
          id: `${spec.idPrefix}-${i}`,
          token: spec.tokens?.[i],
          sink: makeSink(state),
          timeoutMs: spec.timeoutMs ?? 20_000,
        });
        state.conn = conn;
        conns.push(state);
        if (state.counted) counted++;
        result.opened++;
      } catch (error) {
        if (error instanceof RefusedError) {
          result.refused++;
          result.statuses[error.status] = (result.statuses[error.status] ?? 0) + 1;
          if (error.retryAfter !== undefined) result.retryAfter++;
        } else {
          const key = String(error.code ?? error.message).slice(0, 60);
          result.errors[key] = (result.errors[key] ?? 0) + 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency ?? 64, spec.count) }, lane));
  result.ms = nowMs() - started;
  return result;
}

/** Sends `count` chat messages spread evenly at `rate` per second over this worker's connections. */
function burst({ count, rate }) {
  const senders = conns.filter((c) => c.open);
  if (senders.length === 0) return Promise.reject(new Error('no open publisher connection'));
  return new Promise((resolve) => {
    const start = nowMs();
    let sent = 0;
    let first;
    let last;
    const timer = setInterval(() => {
      const due = Math.min(count, Math.floor(((nowMs() - start) * rate) / 1000) + 1);
      while (sent < due) {
        const sender = senders[sent % senders.length];
        last = nowMs();
        first ??= last;
        sender.conn.publish(sent);
        sent++;
      }
      if (sent >= count) {
        clearInterval(timer);
        resolve({ sent, first, last });
      }
    }, 2);
  });
}

function closeSome(count) {
  let closed = 0;
  while (closed < count && conns.length > 0) {
    const state = conns.pop();
    markClosed(state);
    state.conn.ws.terminate();
    closed++;
  }
  return { closed, left: conns.length };
}

const commands = {
  open: openMany,
  reset(spec) {
    win = { from: spec.from ?? -Infinity, to: spec.to ?? Infinity };
    messages = frames = bytes = lastAt = 0;
    hist = new Histogram();
    sinceMs = nowMs();
    cpuMark = process.cpuUsage();
    return {};
  },
  count() {
    return { messages, frames };
  },
  stats() {
    const cpu = process.cpuUsage(cpuMark);
    return {
      messages,
      frames,
      bytes,
      hist: hist.toJSON(),
      lastAt,
      ms: nowMs() - sinceMs,
      cpuS: (cpu.user + cpu.system) / 1e6,
      open: conns.filter((c) => c.open).length,
      closes: Object.fromEntries(closes),
    };
  },
  burst,
  watch({ target }) {
    watch = { target, reached: 0, reachedAt: undefined, firstAt: undefined };
    for (const c of conns) if (c.counted && c.open && c.total >= target) watch.reached++;
    if (watch.reached >= countedConns()) watch.reachedAt = nowMs();
    return {};
  },
  watchStatus() {
    return {
      reached: watch.reached,
      of: countedConns(),
      reachedAt: watch.reachedAt,
      firstAt: watch.firstAt,
    };
  },
  stateReset() {
    stateOn = true;
    chatReach = new Map();
    for (const c of conns) c.stateFrames = [];
    return {};
  },
  stateStatus({ seq }) {
    const open = conns.filter((c) => c.open && c.counted);
    return { reached: open.filter((c) => c.heldSeq === seq).length, of: open.length };
  },
  /**
   * Per connection: frames carrying the widget key, and the most in any one tick; per update
   * `k` (its send time `sentAt[k]`), the latest time a connection got a value at least as new.
   */
  stateStats({ sentAt, tickMs }) {
    stateOn = false;
    const reach = new Array(sentAt.length).fill(0);
    let frames = 0;
    let maxFrames = 0;
    let maxInTick = 0;
    let viewers = 0;
    for (const c of conns) {
      if (!c.open || !c.counted) continue;
      viewers++;
      const f = c.stateFrames ?? [];
      const n = f.length / 2;
      frames += n;
      maxFrames = Math.max(maxFrames, n);
      let prev = 0;
      let windowStart = 0;
      for (let i = 0; i < f.length; i += 2) {
        const seq = f[i];
        const at = f[i + 1];
        for (let k = prev + 1; k <= seq && k < sentAt.length; k++)
          reach[k] = Math.max(reach[k], at - sentAt[k]);
        prev = Math.max(prev, seq);
        // Frames arriving within less than a tick of the first of a run count as one tick's.
        while (f[windowStart + 1] < at - tickMs * 0.9) windowStart += 2;
        maxInTick = Math.max(maxInTick, (i - windowStart) / 2 + 1);
      }
    }
    return { viewers, frames, maxFrames, maxInTick, reach, chatReach: [...chatReach] };
  },
  closeSome: ({ count }) => closeSome(count),
  closeAll: () => closeSome(conns.length),
  memory: () => process.memoryUsage(),
};

process.on('message', async (msg) => {
  const { id, cmd, args } = msg;
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    const result = await fn(args ?? {});
    process.send({ id, ok: true, result });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});
// The orchestrator going away (even by SIGKILL) closes the IPC channel: leave with it.
process.on('disconnect', () => process.exit(0));
