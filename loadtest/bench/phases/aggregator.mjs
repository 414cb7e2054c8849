// Section 5: the aggregator's ingest throughput on one core (decode + sum of gateway reports),
// packages/aggregation's own bench, run in a separate process so nothing else shares its heap.
import { fileURLToPath } from 'node:url';
import { forkChild } from '../lib/proc.mjs';
import { round } from '../lib/split.mjs';

const CHILD = fileURLToPath(new URL('./aggregator-child.mjs', import.meta.url));

export async function runAggregator(cfg, ctx) {
  const child = forkChild('aggregation-bench', CHILD, [JSON.stringify(cfg)]);
  try {
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('aggregation bench timed out')),
        cfg.seconds * 1000 + 45_000,
      );
      child.child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.exited.then(({ code }) =>
        reject(new Error(`aggregation bench exited (${code}):\n${child.tail()}`)),
      );
    });
    ctx.log(`aggregator: ${Math.round(result.entriesPerSecond).toLocaleString('en-US')} entries/s`);
    return {
      gateways: cfg.gateways,
      streamsPerReport: cfg.streams,
      entriesPerSecond: Math.round(result.entriesPerSecond),
      reportsPerSecond: Math.round(result.reportsPerSecond),
      seconds: round(result.seconds, 2),
      coldStartSeconds: round(result.coldStartSeconds, 2),
      meanReportBytes: Math.round(result.meanReportBytes),
      listReportShare: round(result.listReports / Math.max(1, result.reports), 3),
      streamsHeld: result.streams,
      rssMB: round(result.rssMB, 0),
    };
  } finally {
    await child.stop('SIGKILL');
  }
}
