// Sections 4–6 of RESULTS.md and the profile of the misses: Roar as deployed, the connection
// storm, the aggregator, and what the profiler showed.
import { fmt, table } from './format.mjs';
import { changesText } from './sections-servers.mjs';

export function clusterSection(r) {
  const c = r.phases.cluster;
  const out = ['## 4. Roar as deployed: count freshness and 100k connections', ''];
  if (c.joins?.length) {
    const ms = c.joins
      .map((j) => j.ms)
      .filter((x) => x !== null)
      .sort((a, b) => a - b);
    const pct = (p) =>
      ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((p / 100) * ms.length) - 1))];
    out.push(
      `${fmt(c.freshOpen.opened)} viewers of one stream on ${r.config.cluster.freshGateways} gateway processes (opened in ${fmt(c.freshOpen.ms / 1000, 1)} s). ` +
        'Then, one at a time and at a random phase against the 1 s report and publish intervals, a new viewer joins on one of ' +
        'those gateways; the time runs from its connect until **every** viewer has received the new total.',
      '',
      table(
        [
          'Joins',
          'Missed (> 15 s)',
          'p50 ms',
          'p99 ms',
          'max ms',
          'First viewer p50 / max ms',
          'Each join: last viewer (first viewer), ms',
        ],
        [
          [
            c.joins.length,
            c.joins.length - ms.length,
            fmt(pct(50)),
            fmt(pct(99)),
            fmt(ms.at(-1)),
            firstViewer(c.joins),
            c.joins
              .map((j) => (j.ms === null ? '>15000' : `${j.ms} (${j.firstMs ?? '–'})`))
              .join(', '),
          ],
        ],
      ),
      '',
      'The first viewer to see a new total marks the end of the count pipeline (gateway report every 1 s → aggregator → ' +
        "totals published at most once per 1 s → the gateways' next 50 ms tick); the rest, to the last viewer, is the " +
        'fanout to every viewer and the load generator reading it.',
      '',
      `Degradation levels of the gateways after the joins: ${c.levelsAfterJoins?.join(', ')}; level changes logged by the gateways over the section: ${c.degradationChanges ?? 0}.` +
        (Math.max(0, ...(c.levelsAfterJoins ?? [0])) > 0
          ? ' At level 1 a gateway sends viewer counts at most every 5 s instead of every 1 s, which is what the slow ' +
            "joins' last viewers waited for. A count push to ~17k viewers blocks the gateway's loop for ~150–200 ms " +
            "(one uWS publish), over the ladder's 100 ms loop-delay limit, so the push itself can start the climb."
          : ''),
      '',
      ...(c.ladderChanges ?? []).flatMap((changes, i) => changesText(changes, `gw${i} logged`)),
    );
  }
  if (c.memory) {
    out.push(
      'Memory: RSS of every gateway process (after a forced full GC, as in section 3) with all the connections open ' +
        'and idle for 3 s, minus its RSS before any connection.',
      '',
      table(
        [
          'Connections',
          'Gateways',
          'Per gateway',
          'Gateways RSS total MB',
          'RSS before MB',
          'Bytes per connection',
          'without GC',
          'of which V8 heap',
          'Per gateway, bytes per connection',
          'Bytes per connection (total RSS)',
          'nats / redis / aggregator MB',
        ],
        [
          [
            fmt(c.memory.connections),
            c.gateways,
            c.memory.perGateway.map((x) => fmt(x)).join(', '),
            fmt(c.memory.rssTotalMB, 1),
            fmt(c.memory.rssBaseMB, 1),
            `**${fmt(c.memory.bytesPerConnection)}**`,
            fmt(c.memory.rawBytesPerConnection),
            fmt(c.memory.heapBytesPerConnection),
            (c.memory.perGatewayBytesPerConnection ?? []).map((x) => fmt(x)).join(', '),
            fmt(c.memory.totalBytesPerConnection),
            `${fmt(c.memory.natsMB, 1)} / ${fmt(c.memory.redisMB, 1)} / ${fmt(c.memory.aggregatorMB, 1)}`,
          ],
        ],
      ),
      '',
    );
  }
  if (c.heap) {
    out.push(
      `What one idle connection holds on a gateway's JS heap (two heap snapshots of one more gateway process, before ` +
        `and after ${fmt(c.heap.connections)} viewers joined, each after a full GC): **${fmt(c.heap.totalPer - (c.heap.codePer ?? 0))} B** ` +
        `without JIT code (${fmt(c.heap.totalPer)} B with it). ` +
        'By V8 node type or constructor, largest first ("(array)" includes the hash tables behind Maps and Sets, ' +
        '"(hidden)" V8-internal objects, "(code)" JIT code that is not per connection):',
      '',
      table(
        ['Bytes per connection', 'Objects per connection', 'Type or constructor'],
        c.heap.top.map((t) => [fmt(t.bytesPer, 1), fmt(t.countPer, 2), `\`${t.name}\``]),
      ),
      '',
    );
  }
  if (c.notes?.length) out.push(...c.notes.map((n) => `- ${n}`), '');
  return out;
}

function firstViewer(joins) {
  const f = joins
    .map((j) => j.firstMs)
    .filter((x) => x !== undefined)
    .sort((a, b) => a - b);
  return f.length ? `${fmt(f[Math.floor((f.length - 1) / 2)])} / ${fmt(f.at(-1))}` : '–';
}

export function connectionStormSection(r) {
  const s = r.phases.connectionStorm;
  const out = ['## 5. Connection storm against one gateway', ''];
  out.push(
    `${fmt(s.attempts)} WebSocket connects as fast as the generator could (${fmt(s.attemptsPerS)}/s over ${fmt(s.seconds, 1)} s) against one embedded ` +
      'gateway with its default admission control (1,000/s, burst 2,000, 19,000 connections). Accepted viewers join one stream ' +
      "and stay. The gateway's /metrics is read every 500 ms (the gateway resets its event-loop histogram, the lateness of its beat's wake-ups, at each read, so " +
      'each reading is the p99 since the previous one).',
    '',
    table(
      [
        'Accepted',
        'Refused',
        'Refused with Retry-After',
        'Statuses',
        'Refused by reason',
        'Other errors',
        'Open after',
        'Viewer count after',
        'Gateway connections',
        'Worst loop p99 during / after (ms)',
        'Worst loop max (ms)',
        'Max level',
        'Alive',
      ],
      [
        [
          fmt(s.accepted),
          fmt(s.refused),
          fmt(s.refusedWithRetryAfter),
          Object.entries(s.refusedStatuses)
            .map(([k, v]) => `${k}: ${fmt(v)}`)
            .join(', ') || '–',
          Object.entries(s.refusedByReason)
            .map(([k, v]) => `${k}: ${fmt(v)}`)
            .join(', ') || '–',
          Object.entries(s.errors)
            .map(([k, v]) => `${k}: ${fmt(v)}`)
            .join(', ') || '–',
          fmt(s.openAfter),
          fmt(s.viewersTotal),
          fmt(s.gatewayConnections),
          `${fmt(s.loopP99MaxMsDuring)} / ${fmt(s.loopP99MaxMsAfter)}`,
          fmt(s.loopMaxMsDuring),
          s.maxLevel,
          s.alive ? 'yes' : '**no**',
        ],
      ],
    ),
    '',
    `Readings (s: loop p99 ms / level / connections; each covers the time since the one before): ${s.samples
      .filter((x) => x.loopP99Ms !== undefined)
      .map((x) => `${x.s}: ${x.loopP99Ms}/${x.level}/${x.connections}`)
      .join(' · ')}` +
      (s.stormStartS !== undefined
        ? `. The storm starts at ${s.stormStartS} s; readings up to then (the gateway's start, ` +
          `worst p99 ${fmt(s.loopP99MaxMsBefore)} ms) are not counted in "during".`
        : ''),
    '',
  );
  return out;
}

export function aggregatorSection(r) {
  const a = r.phases.aggregator;
  return [
    '## 6. Aggregator throughput',
    '',
    "`packages/aggregation`'s throughput bench (`measureThroughput` from its dist): synthetic gateway reports decoded and " +
      'summed by `Aggregator.ingest`, the aggregator ticking every 50 simulated ms, one core.',
    '',
    table(
      [
        'Gateways × streams per report',
        'Entries/s',
        'Reports/s',
        'Measured s',
        'Cold start s',
        'Mean report bytes',
        'Reports with a stream list',
        'RSS MB',
      ],
      [
        [
          `${fmt(a.gateways)} × ${fmt(a.streamsPerReport)}`,
          `**${fmt(a.entriesPerSecond)}**`,
          fmt(a.reportsPerSecond),
          fmt(a.seconds, 1),
          fmt(a.coldStartSeconds, 2),
          fmt(a.meanReportBytes),
          `${fmt(a.listReportShare * 100, 1)}%`,
          fmt(a.rssMB),
        ],
      ],
    ),
    '',
  ];
}

export function profileSection(r) {
  const p = r.phases.profile;
  const out = ['## Profile of the misses', ''];
  if (p.skipped) return [...out, p.skipped, ''];
  out.push(
    `CPU targets missed: ${p.missed.join(', ')}. The same load was run again on Roar under \`node --cpu-prof\` ` +
      `(profile: \`${p.file}\`); the tables give the top self-time functions of each window as a share of the main ` +
      "thread's busy samples (JavaScript, GC, and the few native frames V8 can see), after the same warm-up as section 1.",
    '',
  );
  for (const [name, w] of Object.entries(p.windows ?? {})) {
    const run = p[name];
    const what =
      name === 'fanout'
        ? `fanout, ${fmt(run?.viewers)} viewers at ${fmt(run?.rate)} msg/s: ${fmt(run?.cpuSPerMillionFrames, 1)} CPU-s per M frames under the profiler`
        : `chat storm, ${fmt(run?.viewers)} viewers: ${fmt(run?.messagesPerCpuS)} messages per CPU-s under the profiler`;
    out.push(
      `**${what}** — V8 saw JavaScript (and GC) running ${fmt(w.busyShare * 100, 1)}% of the ${fmt(w.windowS, 1)} s window ` +
        `(≈ ${fmt(w.jsS, 2)} s) while the process used ${fmt(run?.serverCpuS, 2)} CPU-s: the rest is uWS's native publish ` +
        "loop and the kernel's socket writes, which the profiler counts as idle.",
      '',
    );
    out.push(
      table(
        ['Self time', 'Function'],
        w.top.map((t) => [`${fmt(t.share * 100, 1)}%`, `\`${t.fn}\``]),
      ),
      '',
    );
  }
  return out;
}
