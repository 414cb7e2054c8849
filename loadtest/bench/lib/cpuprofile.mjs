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
  return { samples: total, busyShare: busy / Math.max(1, total), top: rows };
}

function shorten(url) {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path.replace(/^.*node_modules\//, '');
}
