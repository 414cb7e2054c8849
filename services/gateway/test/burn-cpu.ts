/** Spins until this process has used `ms` more of CPU (not wall time: a loaded machine is slow). */
export function burnCpu(ms: number): void {
  const from = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(from);
    if (used.user + used.system >= ms * 1000) return;
  }
}
