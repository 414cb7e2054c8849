import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs the k6 scenarios' JavaScript under Node, one VU at a time, against a scripted server: the
 * k6 modules are replaced by a simulation with a virtual clock (k6's blocking `sleep` advances
 * it), virtual timers and fake WebSockets. It checks the scripts' logic (what they send, when they
 * reconnect, what they record), not k6 itself: k6 cannot be installed here. Each VU is a fresh
 * instance of the bundled script, as each k6 VU has its own copy of every module.
 */

export const K6_DIR = fileURLToPath(new URL('../k6/', import.meta.url));

export interface Sample {
  metric: string;
  value: number;
  tags: Record<string, string>;
}

export interface ServerBehavior {
  /** A new dial: call `sim.open(ws)` and `sim.send(ws, ...)`, `sim.refuse(ws)`... */
  dial(ws: FakeSocket, sim: K6Sim): void;
  /** A frame from the script. */
  message?(ws: FakeSocket, msg: Record<string, unknown>, sim: K6Sim): void;
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every?: number;
}

export class FakeSocket {
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  readonly #listeners = new Map<string, ((e: unknown) => void)[]>();

  constructor(
    readonly sim: K6Sim,
    readonly url: string,
    readonly params: { headers?: Record<string, string> },
  ) {}

  addEventListener(type: string, fn: (e: unknown) => void): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(fn);
    this.#listeners.set(type, list);
  }

  emit(type: string, event: unknown): void {
    for (const fn of this.#listeners.get(type) ?? []) fn(event);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const msg = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(msg);
    this.sim.server.message?.(this, msg, this.sim);
  }

  /** The script closes: the close event follows, with code 1000. */
  close(): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.sim.later(1, () => this.sim.closeNow(this, 1000));
  }
}

export interface ScenarioInfo {
  name: string;
  /** Epoch ms. */
  startTime: number;
  /** For `exec.scenario.progress` (0..1); defaults to 0. */
  lengthMs?: number;
}

/** One simulated k6 VU, over a virtual clock starting at `startMs`. */
export class K6Sim {
  now: number;
  readonly samples: Sample[] = [];
  readonly sockets: FakeSocket[] = [];
  readonly sleeps: number[] = [];
  readonly warnings: string[] = [];
  #timers: Timer[] = [];
  #nextId = 1;
  vu = 1;
  iteration = 0;
  scenario: ScenarioInfo;
  testStart: number;

  constructor(
    public server: ServerBehavior,
    readonly env: Record<string, string> = {},
    startMs = Date.UTC(2026, 0, 1),
  ) {
    this.now = startMs;
    this.testStart = startMs;
    this.scenario = { name: 'default', startTime: startMs };
  }

  /** Schedules `fn` after `ms` of virtual time. */
  later(ms: number, fn: () => void, every?: number): number {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.now + ms, fn, ...(every !== undefined ? { every } : {}) });
    return id;
  }

  cancel(id: number): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Runs timers in time order until none is left or `untilMs` (epoch) is reached. */
  runTimers(untilMs = Number.POSITIVE_INFINITY, maxSteps = 1_000_000): void {
    for (let step = 0; step < maxSteps; step++) {
      if (this.#timers.length === 0) return;
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#timers[0] as Timer;
      if (t.at > untilMs) {
        this.now = untilMs;
        return;
      }
      this.now = Math.max(this.now, t.at);
      if (t.every !== undefined) t.at = this.now + t.every;
      else this.#timers.shift();
      t.fn();
    }
    throw new Error('runaway timers');
  }

  /** One k6 iteration: the exported function, then its event loop until nothing is pending. */
  iterate(fn: (data: unknown) => void, data: unknown, untilMs?: number): void {
    fn(data);
    this.runTimers(untilMs);
    this.iteration++;
  }

  sleep(seconds: number): void {
    this.sleeps.push(seconds * 1000);
    this.now += seconds * 1000;
  }

  // What a server does to a socket.
  open(ws: FakeSocket): void {
    this.later(1, () => {
      ws.readyState = 1;
      ws.emit('open', {});
    });
  }

  send(ws: FakeSocket, msg: object, delayMs = 1): void {
    this.later(delayMs, () => {
      if (ws.readyState === 1)
        ws.emit('message', { data: JSON.stringify(msg), timestamp: this.now });
    });
  }

  /** The server closes with `code` after `delayMs`. */
  serverClose(ws: FakeSocket, code: number, delayMs = 1): void {
    this.later(delayMs, () => this.closeNow(ws, code));
  }

  /** The dial fails before the upgrade (refused, 503): an error, then a close without code. */
  refuse(ws: FakeSocket): void {
    this.later(1, () => {
      ws.readyState = 3;
      ws.emit('error', { error: 'connection refused' });
      ws.emit('close', {});
    });
  }

  closeNow(ws: FakeSocket, code: number): void {
    if (ws.readyState === 3) return;
    ws.readyState = 3;
    ws.emit('close', { code });
  }

  values(metric: string, tags: Record<string, string> = {}): number[] {
    return this.samples
      .filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v))
      .map((s) => s.value);
  }

  /** The shim's view of `k6/*`, read by the bundle through `globalThis.__k6sim`. */
  modules(): Record<string, unknown> {
    const sim = (): K6Sim => this;
    const metric = (kind: string) =>
      class {
        constructor(readonly name: string) {}
        add(value: number | boolean, tags?: Record<string, string>): void {
          sim().samples.push({
            metric: this.name,
            value: Number(value),
            tags: { ...(tags ?? {}) },
          });
        }
        get kind(): string {
          return kind;
        }
      };
    return {
      sleep: (s: number) => this.sleep(s),
      check: () => true,
      hmac: () => 'c2ln',
      b64encode: (text: string) => Buffer.from(text).toString('base64url'),
      http: { get: () => ({ status: 200, body: '{"total":1}' }) },
      Counter: metric('counter'),
      Rate: metric('rate'),
      Trend: metric('trend'),
      setTimeout: (fn: () => void, ms: number) => this.later(ms, fn),
      setInterval: (fn: () => void, ms: number) => this.later(ms, fn, ms),
      clearTimeout: (id: number) => this.cancel(id),
      clearInterval: (id: number) => this.cancel(id),
      WebSocket: class extends FakeSocket {
        constructor(
          url: string,
          _protocols: unknown,
          params: { headers?: Record<string, string> },
        ) {
          super(sim(), url, params ?? {});
          sim().sockets.push(this);
          sim().server.dial(this, sim());
        }
      },
      exec: {
        get vu() {
          return { idInTest: sim().vu };
        },
        get scenario() {
          const s = sim().scenario;
          return {
            name: s.name,
            startTime: s.startTime,
            iterationInTest: sim().iteration,
            progress: s.lengthMs ? Math.min(1, (sim().now - s.startTime) / s.lengthMs) : 0,
          };
        },
        get instance() {
          return { currentTestRunDuration: sim().now - sim().testStart };
        },
      },
      console: {
        warn: (...args: unknown[]) => sim().warnings.push(args.join(' ')),
      },
    };
  }
}

const SHIMS: Record<string, string> = {
  k6: 'export const sleep = (s) => S().sleep(s); export const check = (...a) => S().check(...a);',
  'k6/crypto': 'export default { hmac: (...a) => S().hmac(...a) };',
  'k6/encoding': 'export default { b64encode: (...a) => S().b64encode(...a) };',
  'k6/execution':
    'export default { get vu() { return S().exec.vu; }, get scenario() { return S().exec.scenario; }, get instance() { return S().exec.instance; } };',
  'k6/http': 'export default { get: (...a) => S().http.get(...a) };',
  'k6/metrics':
    'export class Counter { constructor(n) { this.m = new (S().Counter)(n); } add(v, t) { this.m.add(v, t); } }\n' +
    'export class Rate { constructor(n) { this.m = new (S().Rate)(n); } add(v, t) { this.m.add(v, t); } }\n' +
    'export class Trend { constructor(n) { this.m = new (S().Trend)(n); } add(v, t) { this.m.add(v, t); } }',
  'k6/timers':
    'export const setTimeout = (f, ms) => S().setTimeout(f, ms); export const setInterval = (f, ms) => S().setInterval(f, ms);\n' +
    'export const clearTimeout = (id) => S().clearTimeout(id); export const clearInterval = (id) => S().clearInterval(id);',
  'k6/websockets':
    'export const WebSocket = function (...a) { return new (S().WebSocket)(...a); };',
};

/** Bundles `script` (a file of loadtest/k6) with the k6 modules replaced by the simulation. */
export async function bundle(script: string): Promise<{ file: string; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'roar-k6-'));
  const file = join(dir, `${script.replace(/\W/g, '_')}.mjs`);
  await build({
    entryPoints: [join(K6_DIR, script)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: file,
    logLevel: 'silent',
    // Time and the environment come from the simulation of the VU being run.
    define: {
      'Date.now': 'globalThis.__k6sim.clock',
      __ENV: 'globalThis.__k6sim.env',
      console: 'globalThis.__k6sim.console',
    },
    banner: { js: 'const S = () => globalThis.__k6sim.modules;' },
    plugins: [
      {
        name: 'k6-shim',
        setup(b) {
          b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'k6' }));
          b.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => {
            const contents = SHIMS[args.path];
            if (contents === undefined) throw new Error(`no shim for ${args.path}`);
            return { contents, loader: 'js' };
          });
        },
      },
    ],
  });
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

let instances = 0;

/** A fresh copy of the bundled script for `sim`'s VU (module state is per VU in k6). */
export async function loadVu(file: string, sim: K6Sim): Promise<Record<string, unknown>> {
  const modules = sim.modules();
  (globalThis as Record<string, unknown>).__k6sim = {
    modules,
    clock: () => sim.now,
    env: sim.env,
    console: modules.console,
  };
  return (await import(`${pathToFileURL(file).href}?vu=${instances++}`)) as Record<string, unknown>;
}

/** A healthy gateway: welcomes, joins with `history`, acks every chat. */
export function healthyServer(history: object[] = []): ServerBehavior & { chats: string[] } {
  const chats: string[] = [];
  return {
    chats,
    dial(ws, sim) {
      sim.open(ws);
      sim.send(ws, { type: 'welcome', reactions: ['🔥'] }, 2);
    },
    message(ws, msg, sim) {
      if (msg.type === 'join') sim.send(ws, { type: 'joined', ref: msg.ref, history });
      if (msg.type === 'chat') {
        chats.push(String(msg.text));
        sim.send(ws, { type: 'ack', ref: msg.ref, id: `m${chats.length}`, ts: sim.now });
      }
    },
  };
}
