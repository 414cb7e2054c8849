// Summary of a V8 .cpuprofile (node --cpu-prof): self time per function, optionally only for
// samples inside a time window (microseconds of the monotonic clock, as process.hrtime gives).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './servers.mjs';

export function summarize(file, { fromUs = -Infinity, toUs = Infinity, top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const where = f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
    total++;
  }
  // Shares are of the busy samples (the main thread doing anything but waiting in epoll).
  const busy = [...self].filter(([k]) => k !== '(idle)').reduce((a, [, n]) => a + n, 0);
  const rows = [...self]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, n]) => ({ fn, share: n / Math.max(1, busy) }));
  const deltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const intervalUs = deltas[Math.floor(deltas.length / 2)] ?? 1000;
  return { samples: total, busyShare: busy / Math.max(1, total), top: rows, intervalUs };
}

/**
 * JavaScript's self time in a window (ms), apart from the garbage collector, `(program)` (V8 and
 * native code with no JavaScript on the stack) and native functions JavaScript called (no
 * source location: Node's bindings). uWS's own C++ (its loop, its writes) runs while V8 counts
 * the thread idle, so it is in none of these. A sample counts for the profile's sampling
 * interval (the median gap between samples), so a thread descheduled in JavaScript counts once.
 */
export function jsSelfTime(file, { fromUs = -Infinity, toUs = Infinity } = {}) {
  const s = summarize(file, { fromUs, toUs, top: Infinity });
  const busy = s.samples * s.busyShare;
  const by = (pred) => s.top.filter(pred).reduce((n, r) => n + r.share * busy, 0);
  const program = by((r) => r.fn === '(program)');
  const gc = by((r) => r.fn === '(garbage collector)');
  const native = by((r) => !r.fn.startsWith('(') && !/:\d+$/.test(r.fn));
  const ms = (n) => (n * s.intervalUs) / 1000;
  return {
    samples: s.samples,
    intervalUs: s.intervalUs,
    jsMs: ms(busy - program - gc - native),
    gcMs: ms(gc),
    nativeMs: ms(native),
    programMs: ms(program),
    top: s.top.slice(0, 20),
  };
}

function shorten(url) {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path.replace(/^.*node_modules\//, '');
}
