// RESULTS.md and results.svg from the orchestrator's results object. Also runnable on its own:
// `node loadtest/bench/report.mjs [loadtest/out/results.json] [outDir]` re-renders a saved run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LOAD_GEN_NICE } from './lib/pool.mjs';
import { evaluateTargets } from './lib/targets.mjs';
import { fmt, NAMES, table } from './report/format.mjs';
import {
  aggregatorSection,
  clusterSection,
  connectionStormSection,
  profileSection,
} from './report/sections-deployed.mjs';
import { integrationsSection } from './report/sections-integrations.mjs';
import { relaySection } from './report/sections-relay.mjs';
import {
  fanoutSection,
  memorySection,
  pairedSection,
  stormSection,
} from './report/sections-servers.mjs';
import { widgetsSection } from './report/sections-widgets.mjs';
import { qaSection } from './report/section-qa.mjs';
import { logSection, scheduledSection } from './report/section-scheduled-log.mjs';
import { renderSvg } from './svg.mjs';
// Polls
import { pollsSection, pollTargets } from './report/section-polls.mjs';

export function writeReport(results, outDir) {
  writeFileSync(`${outDir}/RESULTS.md`, renderMarkdown(results));
  writeFileSync(`${outDir}/results.svg`, renderSvg(results, NAMES));
}

export function renderMarkdown(r) {
  const m = r.machine;
  const out = [];
  const targets = [...evaluateTargets(r), ...pollTargets(r)];
  out.push(`# Roar benchmark results`, '');
  out.push(
    `Written by \`npm run bench\`${r.mode === 'full' ? '' : ` -- --${r.mode}`} (mode **${r.mode}**, ${r.elapsedS} s) on ${m.date}, ` +
      `commit \`${m.commit}\`${m.dirty ? ' with uncommitted changes in the tree' : ''}. A rerun overwrites this file and ` +
      '`results.svg`; the raw numbers are in `loadtest/out/results.json` (not committed). How to run and what each ' +
      'section means: [README.md](README.md).',
    '',
  );
  out.push('## Machine', '');
  out.push(
    table(
      [
        'OS',
        'CPUs (nproc)',
        'CPU model',
        'Memory',
        'Node.js',
        'Open files per process',
        'Busy outside the bench',
      ],
      [
        [
          m.os,
          m.cpus,
          m.cpuModel,
          `${m.memoryGiB} GiB`,
          m.node,
          m.openFiles,
          r.background
            ? `${fmt(r.background.otherCores, 2)} cores on average (${r.background.note})`
            : '–',
        ],
      ],
    ),
    '',
  );
  out.push(
    `Everything runs on this one machine over loopback (127.0.0.0/8): servers, brokers and load generators share its ${m.cpus} cores. ` +
      `Load generators run at nice ${LOAD_GEN_NICE}, so the server under test gets a core first, as it would on its own host. ` +
      'Server CPU is read from `/proc/<pid>/stat` (utime + stime) around each measured window, so **server CPU per delivery** ' +
      'is the comparison that does not depend on how fast the load generator is.',
    '',
  );

  out.push('## Targets', '');
  out.push(
    table(
      ['Target', 'Measured', 'Result'],
      targets.map((t) => [t.target, t.value, t.pass ? '**pass**' : '**FAIL**']),
    ),
    '',
  );
  if (r.errors?.length) {
    out.push(
      'Sections that failed or were skipped:',
      '',
      ...r.errors.map((e) => `- ${e.split('\n')[0]}`),
      '',
    );
  }

  out.push('## How the load is split over processes', '');
  out.push(splitText(r), '');

  if (r.servers?.length) {
    out.push(...fanoutSection(r), ...pairedSection(r), ...stormSection(r), ...memorySection(r));
  }
  if (r.phases?.cluster) out.push(...clusterSection(r));
  if (r.phases?.connectionStorm) out.push(...connectionStormSection(r));
  if (r.phases?.aggregator) out.push(...aggregatorSection(r));
  if (r.phases?.hooks || r.phases?.webhooks) out.push(...integrationsSection(r));
  if (r.phases?.profile) out.push(...profileSection(r));
  if (r.phases?.relay) out.push(...relaySection(r));
  if (r.phases?.widgets) out.push(...widgetsSection(r));
  if (r.phases?.qa) out.push(...qaSection(r));
  if (r.phases?.polls) out.push(...pollsSection(r));
  if (r.phases?.toss || r.phases?.fairAdmission || r.phases?.warmCost)
    out.push(...scheduledSection(r));
  if (r.phases?.log) out.push(...logSection(r));
  out.push('## Settings', '');
  out.push(
    'Roar runs with every feature on (anonymous viewers, sampling, slow-client handling, the degradation ladder). ' +
      'Changed from the defaults for the bench, and why:',
    '',
    table(
      ['Variable', 'Value', 'Why'],
      Object.entries(r.settings?.roar ?? {}).map(([k, v]) => [
        `\`${k}\``,
        `\`${v}\``,
        WHY[k] ?? '',
      ]),
    ),
    '',
    "Section 1's ramp runs Roar on a gateway of its own, with `ROAR_CHAT_BUDGET=1000` as well (see the ramp). " +
      'The connection storm (section 5) runs with the default admission settings instead. ' +
      'Socket.IO: `transports: ["websocket"]`, `perMessageDeflate: false`, rooms, `io.to(room).emit`. ' +
      'Bare uWS: `app.publish(topic)` to a topic every viewer subscribes to, `maxBackpressure` 1 MiB.',
    '',
  );
  return `${out.join('\n')}\n`;
}

const WHY = {
  ROAR_MODE: 'one process: gateway + aggregator over the in-memory bus (sections 1–3)',
  ROAR_HOST: 'loopback only',
  ROAR_CHAT_RATE: '20 chatters carry up to 200 msg/s (default 1/s per user)',
  ROAR_CHAT_BURST: 'with the rate',
  ROAR_ADMISSION_RATE: 'the bench opens thousands of connections per second (default 1000/s)',
  ROAR_ADMISSION_BURST: 'with the rate (default 2000)',
  ROAR_MAX_CONNECTIONS:
    '19,000 viewers + 20 chatters (default 19,000); a process may hold 20,000 files here',
  ROAR_MAX_CONNECTIONS_PER_IP:
    'the bench uses a few hundred loopback source addresses (default 1000)',
  ROAR_DRAIN_WINDOW_MS: 'stop at once between sections (never measured)',
};

function splitText(r) {
  const s = r.config?.servers;
  const c = r.config?.cluster;
  const st = r.config?.connectionStorm;
  const lines = [];
  if (s) {
    lines.push(
      `- **Sections 1–3 (per server):** the server under test in its own process; ${s.viewerWorkers} forked load-generator ` +
        `processes holding ${fmt(s.viewers)} viewers between them (≤ ${fmt(Math.ceil(s.viewers / s.viewerWorkers))} each), and one more ` +
        `process with the ${s.chatters} publisher connections ("chatters": signed-in users with an HS256 token for Roar). ` +
        'Viewers of Roar and bare uWS use minimal WebSocket clients on `net` (`drivers/roar-lite.mjs`, `drivers/uws-lite.mjs`) ' +
        "that read each chat message's send time from the frame's bytes, one clock read per socket read, so the " +
        "generators cost as little as possible per delivery; Socket.IO's viewers (raw Engine.IO v4 packets) and every " +
        'chatter use `ws`. ' +
        'Each batch of ≤ 2,000 connections gets its own loopback source address (127.x.y.z), never reused in a run.',
    );
  }
  if (c && r.phases?.cluster) {
    lines.push(
      `- **Section 4 (Roar as deployed):** one nats-server and one redis-server started by the bench on free ports, ` +
        `the aggregator service (\`services/aggregator/dist/main.js\`), and ${c.gateways} gateway processes ` +
        '(`ROAR_MODE=gateway`, `ROAR_WORKERS=1`). A process may hold 20,000 open files here, so ' +
        `${fmt(c.freshViewers)} viewers need at least ${Math.ceil(c.freshViewers / 19_000)} gateway processes: ` +
        `they are spread over ${c.freshGateways}, and the ${fmt(c.totalConnections)}-connection memory figure over all ${c.gateways}. ` +
        `${c.viewerWorkers} load-generator processes hold the viewers; a separate one makes the timed joins. ` +
        'Sections 4 and 5 involve Roar only, and their viewers use a minimal WebSocket client on `net` ' +
        '(`drivers/roar-lite.mjs`): `ws` costs about 0.5 ms of CPU per connect here, 100k connects would not fit the budget.',
    );
  }
  if (st && r.phases?.connectionStorm) {
    lines.push(
      `- **Section 5:** one embedded gateway; ${st.workers} load-generator processes with ${st.concurrency} connects in flight each, ` +
        `${st.perAddress} attempts per source address.`,
    );
  }
  if (r.phases?.aggregator)
    lines.push('- **Section 6:** the aggregation bench in a process of its own (one core).');
  if (r.phases?.profile && !r.phases.profile.skipped) {
    lines.push(
      '- **Profile:** Roar alone again under `node --cpu-prof`, with the fanout and storm loads of sections 1–2.',
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../out/results.json', import.meta.url));
  const dir = process.argv[3] ?? fileURLToPath(new URL('../', import.meta.url));
  writeReport(JSON.parse(readFileSync(file, 'utf8')), dir);
  console.log(`wrote ${dir}RESULTS.md and ${dir}results.svg`);
}
