// Section 9 of RESULTS.md: backend hooks at the toss and webhooks under a chat storm.
import { fmt, table } from './format.mjs';

export function integrationsSection(r) {
  const out = ['## 9. Backend hooks and webhooks (issue 15)', ''];
  const hooks = r.phases.hooks;
  if (hooks?.length) {
    const h = hooks[0];
    out.push(
      `Backend requests per 10,000 joins at the toss (target ≤ 100): ${fmt(h.joins)} joins of one stream arriving over ` +
        `${fmt(h.spreadMs / 1000, 1)} s through one gateway shard's join hook (decision cache, coalescing, batches of 15 ms or ` +
        `500 checks) against an app on a loopback port answering each request in ${h.appLatencyMs} ms, every check ` +
        '"allowed for 60 s". "Rejoin" is every viewer joining again within the TTL (a deploy\'s reconnect herd).',
      '',
      table(
        [
          'Joins',
          'Viewers',
          'Requests',
          'Per 10k joins',
          'Checks per request (mean / max)',
          'p99 decision ms',
          'Rejoin requests',
        ],
        hooks.map((x) => [
          fmt(x.joins),
          fmt(x.viewers),
          fmt(x.requests),
          `**${fmt(x.requestsPer10kJoins, 1)}**`,
          `${fmt(x.meanChecksPerRequest, 1)} / ${fmt(x.maxChecksPerRequest)}`,
          fmt(x.p99DecisionMs, 1),
          fmt(x.rejoinRequests),
        ]),
      ),
      '',
    );
  }
  const w = r.phases.webhooks;
  if (w) {
    out.push(
      `Webhook events per request under a chat storm (target ≥ 100): ${fmt(w.ratePerS)} chat messages/s over ${w.streams} ` +
        `streams for ${w.seconds} s, one endpoint (batches of at most ${w.maxBatch}, requests at least ${w.minIntervalMs} ms apart ` +
        `unless the last was full), a receiver on a loopback port that verifies every signature and answers in ${w.receiverLatencyMs} ms.`,
      '',
      table(
        [
          'Log',
          'Events',
          'Delivered',
          'Requests',
          'Events per request in the storm (mean / min)',
          'p99 append → receipt ms',
          'Bad signatures',
        ],
        Object.entries(w.runs).map(([log, x]) => [
          log,
          fmt(x.events),
          fmt(x.delivered),
          fmt(x.requests),
          `**${fmt(x.stormEventsPerRequest, 1)}** / ${fmt(x.minStormEventsPerRequest)}`,
          fmt(x.p99DeliveryMs),
          fmt(x.badSignatures),
        ]),
      ),
      '',
    );
  }
  return out;
}
