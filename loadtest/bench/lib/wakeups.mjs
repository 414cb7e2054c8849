// What a server's threads did between two moments, read from /proc: CPU in nanoseconds (schedstat)
// for the whole process and its main thread, and the main thread's context switches. A voluntary
// switch is one wait in epoll that ended: an event-loop wake-up. And what one wake-up costs on
// this machine, measured on an idle Node process and on bare uWS reading one frame per wake-up.
import { readdirSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { procUsage, sleep, spawnChild } from './proc.mjs';
import { startServer } from './servers.mjs';

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU of every thread of `pid` and of its main thread, the main thread's switches, now. */
export function threadSample(pid) {
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      all += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read: its time is gone with it.
    }
  }
  const main = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const u = procUsage(pid);
  return {
    at: hrUs(),
    userS: u.userS,
    sysS: u.sysS,
    allNs: all,
    mainNs: main,
    vol: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1]),
    invol: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1]),
  };
}

/** What happened between two `threadSample`s (ms of CPU, counts of switches). */
export function sampleDiff(a, b) {
  return {
    s: (b.at - a.at) / 1e6,
    allMs: (b.allNs - a.allNs) / 1e6,
    mainMs: (b.mainNs - a.mainNs) / 1e6,
    vol: b.vol - a.vol,
    invol: b.invol - a.invol,
    // From /proc/<pid>/stat, in clock ticks (10 ms): user space and kernel.
    userMs: (b.userS - a.userS) * 1000,
    sysMs: (b.sysS - a.sysS) * 1000,
  };
}

/** A window less `rest` (another window, of the same process at rest) scaled to its length. */
export function beyondRest(w, rest) {
  const k = w.s / rest.s;
  return {
    s: w.s,
    allMs: w.allMs - rest.allMs * k,
    mainMs: w.mainMs - rest.mainMs * k,
    vol: w.vol - rest.vol * k,
    invol: w.invol - rest.invol * k,
    userMs: w.userMs - rest.userMs * k,
    sysMs: w.sysMs - rest.sysMs * k,
  };
}

/**
 * Calls `send(i)` `count` times at `rate` per second from a 2 ms timer: evenly, one at a time,
 * or `together` at a time, back to back, so that one wake-up of the server reads them all.
 */
export async function pace(send, rate, count, together = 1) {
  const started = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(
        count,
        Math.ceil((Math.floor(((performance.now() - started) * rate) / 1000) + 1) / together) *
          together,
      );
      while (sent < due) send(sent++);
      if (sent >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  return sent;
}

const r1 = (x) => Math.round(x * 10) / 10;

/**
 * What one event-loop wake-up costs here, at `rate` per second for `seconds`: an idle Node
 * process woken by a timer, and bare uWebSockets.js woken by one small frame (a JSON parse and
 * nothing else: the floor of a frame in), each less the same process at rest. CPU of the main
 * thread per wake-up, in µs.
 */
export async function wakeUpCost({ rate = 200, seconds = 4, restMs = 2000 } = {}) {
  const timer = spawnChild('wake-timer', process.execPath, [
    '-e',
    `let n = 0; setInterval(() => { n++; }, ${Math.max(1, Math.round(1000 / rate))});
     console.log(JSON.stringify({ msg: 'listening', port: 0 }));`,
  ]);
  await timer.waitFor(/listening/);
  await sleep(500);
  const t0 = threadSample(timer.pid);
  await sleep(seconds * 1000);
  const t = sampleDiff(t0, threadSample(timer.pid));
  await timer.stop('SIGKILL');

  const uws = await startServer('uws', { name: 'wake-uws' });
  const ws = await new Promise((resolve, reject) => {
    const c = new WebSocket(`ws://127.0.0.1:${uws.port}/`, { perMessageDeflate: false });
    c.once('open', () => resolve(c));
    c.once('error', reject);
  });
  try {
    await sleep(500);
    const r0 = threadSample(uws.pid);
    await sleep(restMs);
    const rest = sampleDiff(r0, threadSample(uws.pid));
    const frame = JSON.stringify({ type: 'x' });
    const count = Math.round(rate * seconds);
    const a = threadSample(uws.pid);
    await pace(() => ws.send(frame), rate, count);
    await sleep(300);
    const net = beyondRest(sampleDiff(a, threadSample(uws.pid)), rest);
    return {
      timerUs: r1((t.mainMs * 1000) / Math.max(1, t.vol)),
      timerWakeUpsPerS: r1(t.vol / t.s),
      uwsFrameUs: r1((net.mainMs * 1000) / count),
      uwsWakeUpsPerFrame: Math.round((net.vol / count) * 100) / 100,
    };
  } finally {
    ws.terminate();
    await uws.proc.stop('SIGTERM', 3000);
  }
}
