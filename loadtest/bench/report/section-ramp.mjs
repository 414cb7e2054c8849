// Section 1's ramp (issue 17 part 6): one stream at 10,000 viewers, the chat rate doubled until
// bare uWS stops rising; the most deliveries/s each server sustained and what limited it.
import { rampOf, TICK_MS } from '../lib/targets.mjs';
import { fmt, NAMES, table } from './format.mjs';

export function rampSection(r) {
  const ramps = r.servers.map((s) => ({ s, ramp: rampOf(s) })).filter((x) => x.ramp);
  if (ramps.length === 0) return [];
  const set = r.config?.servers?.fanout?.find((x) => x.ramp);
  const n = ramps[0].ramp.n;
  const out = [
    `### The ramp: ${fmt(n)} viewers, the rate doubled until bare uWS stops rising`,
    '',
    `The rate goes ${set?.rates.join(', ') ?? '…'} msg/s; each server stops at its ceiling (under 95% delivered ` +
      'and no more sustained than its best step so far). "Sustained" is deliveries over the time from the first send to ' +
      'the last arrival (plus one send interval): what the server carried, not what the 1.5 s grace after the last send ' +
      'let arrive. Past a few messages a second neither server writes one frame per message: bare uWS puts the frames ' +
      "published while it was busy into one write per socket, and Roar's fanout merges a stream's news that waited " +
      'behind its last batch into one frame (`roar_fanout_coalesced_total`: ticks that found the last batch still being ' +
      'written). Roar runs this ramp on a gateway of its own with `ROAR_CHAT_BUDGET=' +
      `${set?.roarEnv?.ROAR_CHAT_BUDGET ?? '?'}\` (every message to every viewer, as uWS does): at the default budget a ` +
      `viewer is shown at most 25 messages a second, ${fmt(25 * n)} deliveries/s for this audience, by design.`,
    '',
  ];
  const rows = [];
  for (const { s, ramp } of ramps) {
    for (const f of ramp.steps) {
      rows.push([
        NAMES[s.kind],
        fmt(f.rate),
        fmt(f.offeredPerS),
        f === ramp.most ? `**${fmt(f.sustainedPerS)}**` : fmt(f.sustainedPerS),
        `${fmt(f.deliveryRatio * 100, 1)}%`,
        fmt(f.p50Ms),
        fmt(f.p99Ms),
        f.roar ? `${fmt(f.roar.writtenP50Ms)} / ${fmt(f.roar.writtenP99Ms)}` : '–',
        fmt(f.frames / Math.max(1, f.viewers) / ((f.messages || 1) / f.rate), 1),
        fmt(f.serverCpuShare, 2),
        fmt(f.cpuSPerMillion, 2),
        fmt(f.loadGenCpuShare, 2),
        f.roar ? `${fmt(f.roar.coalesced)} / L${f.roar.level}` : '–',
      ]);
    }
  }
  out.push(
    table(
      [
        'Server',
        'Msg/s',
        'Offered/s',
        'Sustained deliveries/s',
        'Delivered',
        'p50 ms',
        'p99 ms',
        'Roar: accepted → written to every socket, p50 / p99 ms (bucket edge)',
        'Frames per viewer per s',
        'Server cores',
        'CPU-s per M deliveries',
        'Load-gen cores',
        'Roar merges / level',
      ],
      rows,
    ),
    '',
  );
  const most = ramps
    .map(
      ({ s, ramp }) =>
        `${NAMES[s.kind]} ${fmt(ramp.most.sustainedPerS)}/s at ${ramp.most.rate} msg/s`,
    )
    .join(', ');
  const gen = Math.max(...ramps.flatMap(({ ramp }) => ramp.steps.map((f) => f.loadGenCpuShare)));
  out.push(
    `Most deliveries/s: ${most}. The load generators (${r.config?.servers?.viewerWorkers ?? '?'} processes at nice 10 on the same ${r.machine?.cpus ?? '?'} cores, minimal \`net\` ` +
      `clients that read each message's send time from its bytes) used up to ${fmt(gen, 2)} cores: at the top of the ` +
      'ramp the machine, not one server, is the limit, and a server whose frames each carry one message (bare uWS) ' +
      'costs its viewers more per delivery than one whose frames carry several. The low-rate latency target ' +
      `compares p99 at the ramp's first step, allowing Roar one tick (${TICK_MS} ms) more than bare uWS.`,
    '',
  );
  return out;
}
