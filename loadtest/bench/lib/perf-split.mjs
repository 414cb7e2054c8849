// Where a server's CPU went during a window, by `perf record` (Debian's linux-perf) attached to
// its process: kernel time by system call (socket writes, event-loop waits, reads), the main
// thread's JavaScript by what started it (socket callbacks, timers or immediates), native code without
// JavaScript above it, and the other threads (V8's GC and compiler). Needs perf with software
// events allowed (`perf_event_paranoid` ≤ 2 for one's own processes); with `--perf-basic-prof`
// on the server's Node the JavaScript frames have names. Roar's chat storms (section 2, in the
// full run and `--storm`) run under it when it works.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Samples per second of CPU: one per 0.5 ms of CPU, a few thousand over a storm. */
export const PERF_HZ = 1999;

let usable;
/** perf is installed and may sample a process here (once per run). */
export function perfUsable() {
  if (usable !== undefined) return usable;
  const out = `${tmpdir()}/roar-perf-probe-${process.pid}.data`;
  try {
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', out, '--', 'true'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    usable = true;
  } catch {
    usable = false;
  }
  rmSync(out, { force: true });
  return usable;
}

/**
 * Starts sampling `pid` (every thread, call chains, monotonic timestamps as process.hrtime reads
 * them) into `file`; `stop()` ends it and resolves once perf has written the file.
 */
export function startPerf(pid, file) {
  const child = spawn(
    'perf',
    [
      'record',
      '-q',
      '-k',
      'CLOCK_MONOTONIC',
      '-F',
      String(PERF_HZ),
      '-e',
      'cpu-clock',
      '-g',
    ].concat(['-p', String(pid), '-o', file]),
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    },
  };
}

const SOCKET_WRITES = new Set(['sendto', 'sendmsg', 'writev', 'write']);
const SOCKET_READS = new Set(['recvfrom', 'recvmsg', 'readv', 'read']);
const LOOP_WAITS = new Set(['epoll_wait', 'epoll_pwait', 'epoll_pwait2']);

/**
 * CPU-seconds per part over `[fromUs, toUs]` (monotonic µs), read from `perf script`. The main
 * thread is the one with the most samples.
 */
export function perfSplit(file, [fromUs, toUs]) {
  const text = execFileSync(
    'perf',
    ['script', '-i', file, '--time', `${fromUs / 1e6},${toUs / 1e6}`, '-F', 'tid,ip,sym,dso'],
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return splitPerfScript(text);
}

/** The split of `perf script -F tid,ip,sym,dso` output (samples with call chains, leaf first). */
export function splitPerfScript(text) {
  const samples = [];
  let current;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current) samples.push(current);
      current = undefined;
    } else if (/^\s*\d+\s*$/.test(line) && current === undefined) {
      current = { tid: Number(line.trim()), frames: [] };
    } else if (current) {
      const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)$/.exec(line);
      if (m) current.frames.push({ sym: m[1], dso: m[2] });
    }
  }
  if (current) samples.push(current);
  const byTid = new Map();
  for (const s of samples) byTid.set(s.tid, (byTid.get(s.tid) ?? 0) + 1);
  const main = [...byTid].sort((a, b) => b[1] - a[1])[0]?.[0];
  /** The main thread's JavaScript by its outermost function: what started it. */
  const outermost = new Map();
  const counts = {
    socketWrites: 0,
    loopWaits: 0,
    socketReads: 0,
    otherKernel: 0,
    socketCallbacks: 0,
    timers: 0,
    immediates: 0,
    mainNative: 0,
    otherThreads: 0,
  };
  for (const s of samples) {
    if (s.tid !== main) {
      counts.otherThreads++;
      continue;
    }
    const leaf = s.frames[0];
    if (leaf?.dso.includes('kernel')) {
      let call;
      for (const f of s.frames) {
        const m = /^(?:__x64_sys_|__do_sys_|__sys_)(\w+)/.exec(f.sym);
        if (m) call = m[1];
      }
      if (SOCKET_WRITES.has(call)) counts.socketWrites++;
      else if (LOOP_WAITS.has(call)) counts.loopWaits++;
      else if (SOCKET_READS.has(call)) counts.socketReads++;
      else counts.otherKernel++;
      continue;
    }
    // The outermost JavaScript frame tells what started the work.
    const js = s.frames.filter((f) => f.sym.startsWith('JS:')).at(-1);
    if (!js) {
      counts.mainNative++;
      continue;
    }
    const name = js.sym.replace(/^JS:[*^~]?/, '').replace(/file:\/\/\/.*?\/(?=[^/]+\/dist\/)/, '');
    outermost.set(name, (outermost.get(name) ?? 0) + 1);
    if (/\b(processTimers|listOnTimeout) node:internal\/timers/.test(js.sym)) counts.timers++;
    else if (/\bprocessImmediate node:internal\/timers/.test(js.sym)) counts.immediates++;
    else counts.socketCallbacks++;
  }
  const cpuS = {};
  for (const [k, v] of Object.entries(counts)) cpuS[k] = Math.round((v / PERF_HZ) * 1000) / 1000;
  const top = [...outermost]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([fn, v]) => ({ fn, cpuS: Math.round((v / PERF_HZ) * 1000) / 1000 }));
  return { samples: samples.length, hz: PERF_HZ, cpuS, top };
}
