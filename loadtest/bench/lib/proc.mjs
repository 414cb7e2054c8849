// Child processes of the bench: every one is tracked so that any exit of the orchestrator (normal,
// error, Ctrl-C, SIGTERM) kills them all. Only processes started here are ever signalled.
import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set();

export const CLK_TCK =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Kills every tracked child that is still running (SIGKILL: used on the way out). */
export function killAll() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch (error) {
        console.error(`bench: could not kill ${child.pid}: ${error.message}`);
      }
    }
  }
  live.clear();
}

let installed = false;
/** Cleans up on every way out of the orchestrator. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`bench: ${signal}, stopping every child process`);
      killAll();
      process.exit(130);
    });
  }
}

/** A tracked child process with its recent output kept for error messages. */
export class Child {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.output = '';
    live.add(child);
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-64_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      }),
    );
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the match once `pattern` appears in the output; rejects on exit or timeout. */
  async waitFor(pattern, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (!this.running) throw new Error(`${this.name} exited before ${pattern}:\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name}: no ${pattern} in ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(20);
    }
  }

  tail(chars = 2000) {
    return this.output.slice(-chars);
  }

  /** Sends `signal`, waits for the exit, SIGKILL after `graceMs`. */
  async stop(signal = 'SIGTERM', graceMs = 5000) {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function spawnChild(name, command, args, options = {}) {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
    env: { ...process.env, ...options.env },
  });
  return new Child(name, child);
}

export function forkChild(name, script, args = [], options = {}) {
  const child = fork(script, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...options,
    env: { ...process.env, ...options.env },
  });
  return new Child(name, child);
}

/** CPU seconds (user + system) a process has used so far, and its resident memory. */
export function procUsage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at index 2 of this split.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    cpuS: (utime + stime) / CLK_TCK,
    userS: utime / CLK_TCK,
    sysS: stime / CLK_TCK,
    rssBytes: rssKb * 1024,
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitUntil(check, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}
