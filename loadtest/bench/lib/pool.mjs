// The orchestrator's side of the load-generator workers: forks them, sends commands over IPC
// with a timeout each, and merges what they report.
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { addressesFor } from './addresses.mjs';
import { Histogram } from './histogram.mjs';
import { forkChild } from './proc.mjs';
import { split } from './split.mjs';

export const LOAD_GEN_NICE = 10;
const SCRIPT = fileURLToPath(new URL('../load-gen.mjs', import.meta.url));

export class Worker {
  /** `script`: the child to fork, load-gen.mjs unless a phase brings its own (the scheduled-events and polls benches). */
  constructor(name, script = SCRIPT) {
    this.proc = forkChild(name, script, [], {
      // Room for ~19k sockets of ws state per worker.
      execArgv: ['--max-old-space-size=2048'],
    });
    // Lower priority than the servers under test, which would have their own cores in production:
    // on a shared 2-core machine the server's event loop must not wait behind the load generator.
    setPriority(this.proc.pid, LOAD_GEN_NICE);
    this.name = name;
    this.pending = new Map();
    this.nextId = 1;
    this.proc.child.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${this.name}: ${msg.error}`));
    });
    this.proc.exited.then(({ code, signal }) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name} exited (${code ?? signal}):\n${this.proc.tail()}`));
      }
      this.pending.clear();
    });
  }

  request(cmd, args = {}, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.child.send({ id, cmd, args });
    });
  }

  async stop() {
    if (this.proc.running) this.proc.child.disconnect();
    await this.proc.stop('SIGTERM', 3000);
  }
}

export class LoadPool {
  constructor(prefix, count) {
    this.workers = Array.from({ length: count }, (_, i) => new Worker(`${prefix}-${i}`));
  }

  all(cmd, args, timeoutMs) {
    return Promise.all(this.workers.map((w) => w.request(cmd, args, timeoutMs)));
  }

  /**
   * Opens `count` connections split evenly over the workers (`args` as the load generator's
   * `open` takes them); worker i's share gets fresh source addresses (`perAddress` each) and the
   * id prefix `${idPrefix}-${i}`. Resolves with the merged results.
   */
  async open(count, { idPrefix, perAddress, ...args }, timeoutMs) {
    const shares = split(count, this.workers.length);
    const results = await Promise.all(
      this.workers.map((w, i) =>
        w.request(
          'open',
          {
            ...args,
            count: shares[i],
            idPrefix: `${idPrefix}-${i}`,
            ...addressesFor(shares[i], perAddress),
          },
          timeoutMs,
        ),
      ),
    );
    return mergeOpen(results);
  }

  /** Merged stats of every worker: counts summed, histograms merged, closes by code. */
  async stats(workers = this.workers) {
    const list = await Promise.all(workers.map((w) => w.request('stats')));
    const closes = {};
    for (const s of list)
      for (const [code, n] of Object.entries(s.closes)) closes[code] = (closes[code] ?? 0) + n;
    return {
      messages: sum(list, 'messages'),
      frames: sum(list, 'frames'),
      bytes: sum(list, 'bytes'),
      open: sum(list, 'open'),
      cpuS: sum(list, 'cpuS'),
      lastAt: Math.max(0, ...list.map((s) => s.lastAt ?? 0)),
      hist: Histogram.merged(list.map((s) => s.hist)),
      closes,
    };
  }

  async count(workers = this.workers) {
    const list = await Promise.all(workers.map((w) => w.request('count')));
    return { messages: sum(list, 'messages'), frames: sum(list, 'frames') };
  }

  stop() {
    return Promise.all(this.workers.map((w) => w.stop()));
  }
}

const sum = (list, key) => list.reduce((n, s) => n + (s[key] ?? 0), 0);

/** Merges `open` results of several workers. */
export function mergeOpen(results) {
  const out = { opened: 0, refused: 0, retryAfter: 0, statuses: {}, errors: {}, ms: 0 };
  for (const r of results) {
    out.opened += r.opened;
    out.refused += r.refused;
    out.retryAfter += r.retryAfter;
    out.ms = Math.max(out.ms, r.ms);
    for (const [k, v] of Object.entries(r.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
  }
  return out;
}
