// Child processes and health checks for scripts/cluster.mjs.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];
let nextColor = 0;
const NATS_LEVELS = { DBG: 'debug', TRC: 'trace', INF: 'info', WRN: 'warn', ERR: 'error' };
const REDIS_LEVELS = { '.': 'debug', '-': 'debug', '*': 'info', '#': 'warn' };

/**
 * One child process of the cluster, in its own process group so that the terminal's Ctrl-C
 * reaches only the cluster script, which then stops the children in order. Its output is
 * forwarded line by line with its name in front, JSON log lines shortened to level and message.
 */
export class Child {
  /** Resolves with `{ code, signal, killed }` once the process is gone and its output read. */
  exited;
  #exit;
  #killed = false;

  constructor(name, kind, command, args, options) {
    this.name = name;
    this.kind = kind;
    this.proc = spawn(command, args, {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const color = COLORS[nextColor++ % COLORS.length];
    const prefix = process.stdout.isTTY
      ? `\x1b[${color}m${name.padEnd(6)}\x1b[0m │ `
      : `${name.padEnd(6)} │ `;
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (line.trim() !== '') process.stdout.write(`${prefix}${compact(line)}\n`);
      });
    }
    this.exited = new Promise((resolve) => {
      const done = (code, signal, error) => {
        this.#exit ??= { code, signal, killed: this.#killed, error };
        resolve(this.#exit);
      };
      // 'close' comes after the process exited and its pipes were read to the end.
      this.proc.once('close', (code, signal) => done(code, signal));
      this.proc.once('error', (error) => done(null, null, error));
    });
  }

  get pid() {
    return this.proc.pid;
  }

  get running() {
    return this.#exit === undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal) {
    if (!this.running) return;
    try {
      this.proc.kill(signal);
    } catch (error) {
      process.stderr.write(`cluster: could not signal ${this.name}: ${error.message}\n`);
    }
  }

  /** Sends `signal`, then SIGKILL after `graceMs`; resolves with how the process ended. */
  async stop(signal, graceMs) {
    if (!this.running) return this.exited;
    this.kill(signal);
    const timer = setTimeout(() => {
      this.#killed = true;
      this.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function describeExit({ code, signal, killed, error }) {
  if (error) return error.message;
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  return killed ? `${how}, killed after the grace period` : how;
}

/** `{"level":"info","msg":"gateway listening",...}` → `info  gateway listening`. */
function compact(line) {
  const record = parseJson(line);
  if (record && typeof record.msg === 'string') {
    const error = record.error?.message ? `: ${record.error.message}` : '';
    return `${String(record.level ?? 'info').padEnd(5)} ${record.msg}${error}`;
  }
  // nats-server: "[1234] 2024/05/01 12:00:00.000000 [INF] Server is ready"
  let m = /^\[\d+\] \S+ \S+ \[([A-Z]{3})\] (.*)$/.exec(line);
  if (m) return `${(NATS_LEVELS[m[1]] ?? m[1]).padEnd(5)} ${m[2]}`;
  // redis-server: "1234:M 01 May 2024 12:00:00.000 # WARNING ..."
  m = /^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ ([.\-*#]) (.*)$/.exec(line);
  if (m) return `${(REDIS_LEVELS[m[1]] ?? 'info').padEnd(5)} ${m[2]}`;
  return line;
}

function parseJson(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** A TCP port that was free on `host` a moment ago. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True if `port` can be bound on `host` right now. */
export function portIsFree(host, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** True on a 2xx answer within a second. */
export async function httpOk(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** True if Redis answers PING within a second. */
export function redisPing(host, port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
