// Scheduled events (issue 18: phases toss, fairAdmission, warmCost of phases/scheduled.mjs) and
// the durable event log (issue 15: phase log of log.mjs), rendered from the run's own numbers.
import { fmt, table } from './format.mjs';

/** The log's cost per accepted chat, on ÷ off, that the issue bounds. */
export const LOG_RATIO_TARGET = 1.1;

export function scheduledSection(r) {
  const { toss, fairAdmission: fair, warmCost: warm } = r.phases;
  const out = ['## Scheduled events: the toss, fair admission, warm-up cost (issue 18)', ''];
  if (toss?.toss) out.push(...tossPart(toss));
  if (fair?.modes) out.push(...fairPart(fair));
  if (warm?.streams) out.push(...warmPart(warm));
  return out;
}

function tossPart(t) {
  const rows = [];
  const runs = [
    [t.toss, 'up'],
    [t.tossRedisStalled, `stalled ${fmt((t.stallMs ?? 0) / 1000, 1)} s`],
  ];
  for (const [run, redis] of runs) {
    if (!run) continue;
    const first = rows.length;
    for (const [name, s] of Object.entries(run.streams)) {
      const head =
        rows.length === first
          ? [
              `${fmt(t.joins)} in ${fmt(run.seconds, 1)} s`,
              redis,
              `${fmt(run.redisPerGateway.all)} (${fmt(run.redisPerGateway.reads)})`,
              run.loopP99Ms.map((x) => fmt(x)).join(', '),
            ]
          : ['', '', '', ''];
      rows.push([
        head[0],
        head[1],
        name,
        `${fmt(s.welcomeToJoinedMs.p50)} / ${fmt(s.welcomeToJoinedMs.p99)}`,
        `${fmt(s.dialToJoinedMs.p50)} / ${fmt(s.dialToJoinedMs.p99)}`,
        head[2],
        head[3],
      ]);
    }
  }
  return [
    `**The toss** (${t.gateways} gateways over NATS and Redis, the aggregator; the first stream of each run ` +
      'scheduled and warmed, the second not; after an unmeasured warm-up toss, ' +
      `${fmt(t.joins)} joins arrive at once, interleaved over both streams; then again on fresh streams ` +
      'with Redis blocked by `DEBUG SLEEP` as the herd arrives). Redis commands are per gateway for the ' +
      `whole toss, reads in brackets; at rest the gateways send ${fmt(t.idleRedisPerS.all, 1)} a second.`,
    '',
    table(
      [
        'joins',
        'Redis',
        'stream',
        'welcome→joined p50 / p99 ms',
        'dial→joined p50 / p99 ms',
        'Redis cmds (reads) per gateway',
        `loop p99 ms (${t.gateways} gateways)`,
      ],
      rows,
    ),
    '',
    'On two cores the WebSocket handshakes of every client (gateways and load generators on the ' +
      'same cores) set the latency of both streams alike, and each viewer\u2019s two joins are answered ' +
      'together, so warm and cold measure the same here; `services/gateway/test/schedule.int.test.ts` ' +
      'checks that a warmed stream serves a late viewer from memory over real NATS and Redis.',
    '',
  ];
}

function fairPart(f) {
  const row = (name, m) => [
    name,
    fmt(m.admitted),
    `${fmt(m.rankDistance.mean, 1)} / ${fmt(m.rankDistance.p50)} / ${fmt(m.rankDistance.p99)}`,
    `${fmt(m.overtakenBy1sLater * 100, 1)} %`,
    `${fmt(m.admitAllS, 1)} s`,
    `${fmt(m.waitMs.p50)} / ${fmt(m.waitMs.p99)}`,
    `${fmt(m.attempts.p50)} / ${fmt(m.attempts.max)}`,
  ];
  const rows = [];
  if (f.modes.ticket) rows.push(row('ticket', f.modes.ticket));
  if (f.modes.naive) rows.push(row('naive (old)', f.modes.naive));
  // Everyone admitted at the rate from the first arrival, the burst at once (runs saved before the
  // burst was recorded: none).
  const idealS = Math.max(f.spreadMs / 1000, (f.clients - (f.burst ?? 0)) / f.ratePerS);
  return [
    `**Fair admission** (one gateway admitting ${fmt(f.ratePerS)}/s` +
      `${f.burst === undefined ? '' : `, burst ${fmt(f.burst)}`}; ${fmt(f.clients)} clients arriving ` +
      `evenly over ${fmt(f.spreadMs / 1000)} s; \`ticket\`: clients come back with their ticket at its ` +
      'time, as the SDK does; `naive`: they retry after `Retry-After` plus jitter, the SDK\u2019s behaviour ' +
      'before):',
    '',
    table(
      [
        'mode',
        'admitted',
        'distance from arrival order (ranks) mean / p50 / p99',
        'overtaken by a client arriving ≥ 1 s later',
        'all admitted after',
        'wait p50 / p99 ms',
        'dials p50 / max',
      ],
      rows,
    ),
    '',
    `The ideal is about ${fmt(idealS, 1)} s (${fmt(f.clients)} at ${fmt(f.ratePerS)}/s from the first ` +
      `arrival${f.burst === undefined ? '' : ', less the burst'}): ticket holders should be admitted at ` +
      'the rate, in arrival order.',
    '',
  ];
}

function warmPart(w) {
  return [
    `**Warm-up cost per idle stream** (one gateway warming ${fmt(w.streams)} scheduled streams nobody ` +
      `watches, after a full GC): **${fmt(w.heapBytesPerStream / 1000, 1)} KB of JS heap** ` +
      `(${fmt(w.rssBytesPerStream / 1000)} KB RSS), **${fmt(w.busSubscriptionsPerStream)} NATS ` +
      `subscription**, **${fmt(w.redisReadsPerStream)} Redis reads** once ` +
      `(${fmt(w.redisCommandsPerStream)} commands with the admin API\u2019s writes and audit), no timer of ` +
      'its own.',
    '',
  ];
}

export function logSection(r) {
  const { chat, replay } = r.phases.log;
  const out = ['## The durable event log and replay (issue 15)', ''];
  out.push(
    'One embedded gateway, a real `nats-server -js`, 20 chatters to 100 viewers; the log off and on ' +
      '(JetStream) in alternated runs (`bench/log.mjs`).',
    '',
  );
  const rows = [];
  if (chat?.runs) {
    const each = (log) =>
      chat.runs
        .filter((x) => (log === 'off' ? x.log === 'off' : x.log !== 'off'))
        .map((x) => fmt(x.cpuUsPerMessage))
        .join(', ');
    rows.push([
      'gateway CPU per accepted chat, log off / on (JetStream)',
      `${fmt(chat.offUsPerMessage)} / ${fmt(chat.onUsPerMessage)} µs (medians; off ${each('off')}; on ${each('on')})`,
      '',
    ]);
    rows.push([
      'log on ÷ log off',
      `**${fmt(chat.ratio, 3)}×**`,
      `≤ ${LOG_RATIO_TARGET}× (${chat.ratio <= LOG_RATIO_TARGET ? 'met' : 'missed'})`,
    ]);
    if (chat.appendAlone)
      rows.push([
        'the log\u2019s own cost per append, measured alone',
        `${fmt(chat.appendAlone.cpuUsPerAppend, 1)} µs`,
        '',
      ]);
  }
  if (replay?.final) {
    const f = replay.final;
    rows.push([
      `replay of a hot final bucket (${fmt(f.eventsPerReply)} events per reply): requests/s, gateway CPU per request`,
      `${fmt(f.perSecond)} /s, ${fmt(f.gatewayCpuUsPerRequest)} µs`,
      '',
    ]);
    rows.push([
      `bucket reads from the log for those ${fmt(f.requests)} requests`,
      `**${fmt(f.bucketReads)}** (${fmt(f.logReads)} log reads in all during them)`,
      '1 per gateway',
    ]);
  }
  if (replay?.liveEdge) {
    const l = replay.liveEdge;
    rows.push([
      'replay of the live-edge bucket: requests/s, bucket reads',
      `${fmt(l.perSecond)} /s, ${fmt(l.bucketReads)} (re-read at most once a second)`,
      '',
    ]);
  }
  out.push(table(['measure', 'value', 'target'], rows), '');
  return out;
}
