// Aggregator throughput on one core: decode + ingest of synthetic gateway reports.
// Build first (npx tsc -b packages/aggregation), then: node packages/aggregation/bench/run.mjs
// Options: --gateways 1000 --streams 10000 --seconds 10 --churn 0.01 --universe 50000 --chat 0
import { measureThroughput } from '../dist/bench/throughput.js';

const options = {};
const args = process.argv.slice(2);
for (let i = 0; i + 1 < args.length; i += 2) {
  const name = args[i].replace(/^--/, '');
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  options[name] = value;
}

const r = await measureThroughput(options);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(
  `gateways × streams      ${fmt(options.gateways ?? 1000)} × ${fmt(options.streams ?? 10000)}`,
);
console.log(`cold start (all lists)  ${r.coldStartSeconds.toFixed(2)} s`);
console.log(`measured                ${r.seconds.toFixed(2)} s, ${fmt(r.reports)} reports`);
console.log(`entries/s               ${fmt(r.entriesPerSecond)}`);
console.log(`reports/s               ${fmt(r.reportsPerSecond)}`);
console.log(
  `reports with a list     ${((100 * r.listReports) / Math.max(1, r.reports)).toFixed(1)} %`,
);
console.log(`mean report size        ${fmt(r.meanReportBytes)} bytes`);
console.log(`streams held            ${fmt(r.streams)}, ${fmt(r.publishes)} viewers publishes`);
if (r.chatMessages > 0) console.log(`chat messages summed    ${fmt(r.chatMessages)}`);
console.log(
  `heap / buffers / rss    ${fmt(r.heapUsedMB)} MB / ${fmt(r.arrayBuffersMB)} MB / ${fmt(r.rssMB)} MB`,
);
