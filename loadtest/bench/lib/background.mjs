// How busy the machine was outside the bench (other sessions share it): every 2 s, every
// process's CPU ticks from /proc, split into this orchestrator's descendants and everything else.
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK } from './proc.mjs';

function scan() {
  const procs = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process ended between readdir and read: nothing to count.
      continue;
    }
  }
  return procs;
}

export class BackgroundMeter {
  constructor() {
    this.ours = 0;
    this.others = 0;
    this.started = Date.now();
    this.prev = scan();
    this.timer = setInterval(() => this.tick(), 2000);
    this.timer.unref();
  }

  tick() {
    const now = scan();
    const mine = (pid) => {
      for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
        if (p === process.pid) return true;
        p = now.get(p)?.ppid ?? 0;
      }
      return false;
    };
    for (const [pid, { ticks }] of now) {
      const before = this.prev.get(pid)?.ticks ?? ticks;
      const d = Math.max(0, ticks - before);
      if (mine(pid)) this.ours += d;
      else this.others += d;
    }
    this.prev = now;
  }

  stop() {
    clearInterval(this.timer);
    this.tick();
    const seconds = (Date.now() - this.started) / 1000;
    return {
      otherCores: this.others / CLK_TCK / seconds,
      benchCores: this.ours / CLK_TCK / seconds,
      note: 'CPU of processes outside the bench, sampled every 2 s from /proc',
    };
  }
}
