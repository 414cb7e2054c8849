// Sections 1–3 of RESULTS.md: fanout, chat storm, memory per idle connection.
import { cpuPerDelivery, pooled } from '../lib/targets.mjs';
import { fmt, NAMES, table } from './format.mjs';
import { rampSection } from './section-ramp.mjs';

export function fanoutSection(r) {
  const out = ['## 1. Fanout: one stream, N viewers, one publisher', ''];
  out.push(
    'Each step sends a fixed number of chat messages (at least 6, about 3 s worth) at the offered rate; every message ' +
      'carries its send time, and a viewer computes the delivery latency when it decodes the message (same machine ' +
      'clock). Deliveries and latency count only messages of the step; server CPU is measured from the first send until ' +
      'every delivery arrived (or 1.5 s after the last send). At 19,000 viewers the ladder steps up until a step falls ' +
      "under 95% delivered (or p99 passes 2 s); at 10,000 it is the ramp below. The brief's bar for a step is " +
      '**p99 ≤ 250 ms and ≥ 95% delivered** ("Bar" column).',
    '',
    'Roar sends at most one frame per stream per 50 ms tick: news after a quiet tick at once, later news with the next ' +
      'tick, and news that waited behind a batch still being written merged into the next frame; frames also carry ' +
      'viewer-count updates, so "frames" and "messages" differ. "Roar frames out" is the gateway\'s own ' +
      'count of frames written (`roar_frames_out_total`), "level" its degradation level after the step.',
    '',
  );
  const rows = [];
  for (const s of r.servers) {
    for (const f of s.fanout) {
      rows.push([
        NAMES[s.kind],
        fmt(f.viewers),
        fmt(f.rate),
        fmt(f.offeredPerS),
        fmt(f.deliveredPerS),
        `${fmt(f.deliveryRatio * 100, 1)}%`,
        fmt(f.p50Ms),
        fmt(f.p99Ms),
        fmt(f.serverCpuShare, 2),
        `**${fmt(f.cpuSPerMillion, 1)}**`,
        fmt(f.cpuSPerMillionFrames, 1),
        f.userUsPerFrame === undefined
          ? '–'
          : `${fmt(f.userUsPerFrame, 1)} / ${fmt(f.sysUsPerFrame, 1)}`,
        fmt(f.meanFrameBytes),
        fmt(f.loadGenCpuShare, 2),
        f.roar ? `${fmt(f.roar.framesOut)} / L${f.roar.level}` : '–',
        f.ok ? 'met' : 'missed',
      ]);
    }
  }
  out.push(
    table(
      [
        'Server',
        'Viewers',
        'Msg/s',
        'Offered deliveries/s',
        'Delivered/s',
        'Delivered',
        'p50 ms',
        'p99 ms',
        'Server cores',
        'CPU-s per M deliveries',
        'CPU-s per M frames',
        'User / sys µs per frame',
        'Frame bytes',
        'Load-gen cores',
        'Roar frames out / level',
        'Bar',
      ],
      rows,
    ),
    '',
  );
  const sizes = [...new Set(r.servers.flatMap((s) => s.fanout.map((f) => f.viewers)))].sort(
    (a, b) => b - a,
  );
  const cmp = [];
  let ownSteps = false;
  for (const n of sizes) {
    const p = cpuPerDelivery(r.servers, n, ['roar', 'socketio', 'uws']);
    if (!p) continue;
    ownSteps ||= !p.common;
    const get = (k) => p.kinds[k];
    const cell = (k) =>
      get(k)
        ? `${fmt(get(k).cpuSPerMillion, 1)} (${fmt(get(k).cpuSPerMillionFrames, 1)})` +
          (p.common ? '' : ` at ${p.ratesOf[k].join(', ')}/s`)
        : '–';
    const ratio = (a, b, key) => {
      const pair = pooled(r.servers, n, [a, b]);
      return pair
        ? `${fmt(pair.kinds[a][key] / pair.kinds[b][key], 2)}× (${pair.rates.join(', ')}/s)`
        : '–';
    };
    cmp.push([
      fmt(n),
      p.common ? p.rates.join(', ') : 'each its own',
      cell('roar'),
      cell('socketio'),
      cell('uws'),
      ratio('roar', 'uws', 'cpuSPerMillionFrames'),
      ratio('socketio', 'uws', 'cpuSPerMillion'),
    ]);
  }
  if (cmp.length) {
    out.push(
      '**Server CPU-s per million deliveries (per million frames)**, pooled over the steps every server completed with ' +
        '≥ 95% delivered (Σ CPU / Σ deliveries: single steps of a few seconds vary by ±15% on this shared machine), ' +
        "at the ramp's rates where each message is still its own frame for every server" +
        (ownSteps
          ? '; where no step was completed by all three, each server over its own such steps'
          : '') +
        '. Reference numbers given with the brief for this machine: bare uWS 8.5, ws 13, Socket.IO 21.',
      '',
      table(
        [
          'Viewers',
          'Steps (msg/s)',
          'Roar',
          'Socket.IO',
          'bare uWS',
          'Roar / uWS per frame (steps both completed)',
          'Socket.IO / uWS (steps both completed)',
        ],
        cmp,
      ),
      '',
    );
  }
  out.push(...ladderFinding(r));
  const sat = [];
  const why = (f) =>
    [
      f.p99Ms > 250 ? `p99 ${fmt(f.p99Ms)} ms` : undefined,
      f.deliveryRatio < 0.95 ? `${fmt(f.deliveryRatio * 100, 1)}% delivered` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
  for (const s of r.servers) {
    for (const n of sizes) {
      const steps = s.fanout.filter((f) => f.viewers === n);
      if (!steps.length) continue;
      const met = steps.filter((f) => f.ok);
      const missed = steps.filter((f) => !f.ok);
      const sustained = steps.filter((f) => f.deliveryRatio >= 0.95);
      sat.push([
        NAMES[s.kind],
        fmt(n),
        met.length ? met.map((f) => `${fmt(f.rate)}/s`).join(', ') : 'none',
        missed.length ? missed.map((f) => `${fmt(f.rate)}/s (${why(f)})`).join('; ') : 'none',
        sustained.length ? fmt(Math.max(...sustained.map((f) => f.deliveredPerS))) : '–',
        steps.length < (r.config?.servers?.fanout?.find((x) => x.n === n)?.rates.length ?? 0)
          ? `stopped after ${fmt(steps.at(-1).rate)}/s`
          : 'all steps run',
      ]);
    }
  }
  out.push(
    'Saturation: which steps met the bar and which did not (and why), the most deliveries/s a step sustained with ' +
      '≥ 95% delivered, and whether the ladder stopped early. With thousands of viewers one message ' +
      'is a burst of thousands of frames that the load generators (at lower priority on the same two cores) drain in ' +
      "about a hundred ms, so p99 here is largely the generators' queue; compare servers by CPU per delivery.",
    '',
    table(
      [
        'Server',
        'Viewers',
        'Steps within the bar',
        'Steps over it',
        'Most deliveries/s at ≥ 95%',
        'Ladder',
      ],
      sat,
    ),
    '',
  );
  out.push(...rampSection(r));
  const ladders = r.servers.filter((s) => s.ladder?.length);
  if (ladders.length) {
    out.push(
      "Roar's degradation ladder before each measurement (levels 1–2 slow counts and coarsen reactions; 3 halves the chat " +
        'budget, 4 makes chat read-only); measurements start at level ≤ 2: ' +
        ladders
          .flatMap((s) =>
            s.ladder.map(
              (l) =>
                `found L${l.found}, measured from L${l.after} after ${fmt(l.waitedMs / 1000, 1)} s`,
            ),
          )
          .join('; ') +
        '.',
      '',
    );
  }
  return out;
}

/** What Roar's degradation ladder did during the fanout steps, when it did anything. */
function ladderFinding(r) {
  const steps = r.servers.find((s) => s.kind === 'roar')?.fanout.filter((f) => f.roar) ?? [];
  const top = Math.max(0, ...steps.map((f) => f.roar.level));
  if (top === 0) return [];
  const rejected = steps.reduce((a, f) => a + f.roar.chatRejected, 0);
  const delays = steps.map((f) => f.roar.loopP99Ms);
  return [
    `**Roar's degradation ladder climbed during the fanout**: its level after each step was ` +
      `${steps.map((f) => `L${f.roar.level} (${fmt(f.viewers)} × ${fmt(f.rate)}/s)`).join(', ')}. ` +
      `Its event-loop delay p99 after the steps was ${fmt(Math.min(...delays))}–${fmt(Math.max(...delays))} ms: ` +
      'a publish to one topic writes to every subscriber synchronously inside uWS (about 10 µs per socket, so ' +
      '~100 ms per 10,000 viewers), and the ladder reads any loop delay over `ROAR_LADDER_LOOP_DELAY_MS` (100 ms) ' +
      'as overload. Steady chat into a gateway holding more than ~10k viewers of one stream therefore steps the ' +
      'ladder up every 2 s; each level change is itself told to every connection (a `status` frame per socket), ' +
      'one more pass over every viewer' +
      (top >= 4
        ? `; at level 4 chat is read-only, and ${fmt(rejected)} of the bench's chats were refused (\`read_only\`), ` +
          'which is why a step can fall under 95% delivered for Roar alone.'
        : '.'),
    '',
    ...changesText(r.servers.find((s) => s.kind === 'roar')?.ladderChanges, 'The gateway logged'),
  ];
}

export function changesText(changes, lead) {
  if (!changes?.length) return [];
  return [
    `${lead}: ` +
      changes.map((c) => `${(c.t ?? '').slice(11, 19)} L${c.from}→L${c.to} (${c.why})`).join('; ') +
      '.',
    '',
  ];
}

export function stormSection(r) {
  const rows = r.servers.filter((s) => s.storm);
  if (!rows.length) return [];
  const out = ['## 2. Chat storm', ''];
  const st = rows[0].storm;
  const roarRun = rows.find((s) => s.kind === 'roar');
  const large = roarRun?.stormLarge;
  out.push(
    `${fmt(st.offered)} chat messages at ${fmt(r.config.servers.storm.rate)} msg/s from 20 chatters into one stream of ${fmt(st.viewers)} viewers, ` +
      `measured right after the warm-up (every server first carries ${fmt(r.config.servers.warmup?.count)} messages at ` +
      `${fmt(r.config.servers.warmup?.rate)}/s in a stream nobody watches` +
      ((r.config.servers.warmup?.rounds ?? 1) > 1
        ? `, in ${r.config.servers.warmup.rounds} rounds ${fmt(r.config.servers.warmup.pauseMs ?? 1000)} ms apart`
        : '') +
      ', so JIT compilation is not charged to the storm: V8 optimizes a function after 3,000 calls) and before the fanout. ' +
      'Roar batches and samples (a per-viewer budget, `ROAR_CHAT_BUDGET`, and fuller frames at most every `ROAR_STORM_TICK_MS` while it samples, both at the gateway defaults); Socket.IO and bare uWS send every ' +
      'message to every viewer, as far as they can.' +
      (rows.some((s) => s.kind === 'uws-sampled')
        ? ' "Bare uWS, Roar\'s budget and ticks" (`servers/uws-sampled.mjs`) is the floor for a server that shows what Roar ' +
          "shows: bare uWS holding a stream's chat and publishing it as one frame per tick, sampled to the same budget by a token " +
          'bucket, at most every storm tick while it samples, with nothing else (no ids, rules, rate limits, history, acks or counts).'
        : '') +
      ' Server CPU and deliveries are counted from the first message until every ' +
      'delivery arrived or 1 s after the last message; "viewer-seconds per CPU-s" is how many viewers one core carries ' +
      'through one second of the storm.' +
      (large
        ? ` Roar also carries the same chat before ${fmt(large.viewers)} viewers (its second row, run just before the first), ` +
          'where its fixed costs (accepting each chat, its timers) weigh less against the frames; the others write every ' +
          'message to every viewer, so their cost per delivery does not fall with the audience and they are not run again.'
        : ''),
    '',
  );
  const line = (name, storm) => [
    name,
    fmt(storm.viewers),
    fmt(storm.delivered),
    `${fmt(storm.deliveredShare * 100, 1)}%`,
    fmt(storm.messagesPerViewerPerS, 1),
    fmt(storm.framesPerViewerPerS, 1),
    fmt(storm.serverCpuS, 2),
    fmt(storm.serverCpuShare, 2),
    `**${fmt(storm.messagesPerCpuS)}**`,
    fmt((storm.viewers * storm.seconds) / storm.serverCpuS),
    fmt(storm.p50Ms),
    fmt(storm.p99Ms),
  ];
  out.push(
    table(
      [
        'Server',
        'Viewers',
        'Delivered messages',
        'Of offered',
        'Msgs / viewer / s',
        'Frames / viewer / s',
        'Server CPU-s',
        'Server cores',
        'Msgs delivered per CPU-s',
        'Viewer-seconds per CPU-s',
        'p50 ms',
        'p99 ms',
      ],
      rows.flatMap((s) => [
        line(NAMES[s.kind], s.storm),
        ...(s.stormLarge ? [line(NAMES[s.kind], s.stormLarge)] : []),
      ]),
    ),
    '',
  );
  const roar = roarRun?.storm;
  const floor = rows.find((s) => s.kind === 'uws-sampled')?.storm;
  const sioStorm = rows.find((s) => s.kind === 'socketio')?.storm;
  if (roar && floor && sioStorm) {
    out.push(
      `The floor reached ${fmt(floor.messagesPerCpuS / sioStorm.messagesPerCpuS, 1)}× Socket.IO's messages per CPU-s ` +
        `in this run (${fmt(floor.serverCpuS, 2)} CPU-s for ${fmt(floor.delivered)} deliveries in ` +
        `${fmt(floor.framesPerViewerPerS, 1)} frames a viewer a second); Roar reached ` +
        `${fmt((roar.messagesPerCpuS / floor.messagesPerCpuS) * 100)}% of the floor's figure, and spent ` +
        `${fmt(roar.serverCpuS - floor.serverCpuS, 2)} CPU-s more on the same chat: accepting it (ids, rules, rate limits, ` +
        'history, the bus), its counts and timers at rest, its slow-client checks.',
      '',
    );
  }
  if (roar?.roar) {
    out.push(
      `Roar during the storm: ${fmt(roar.roar.chatAccepted)} chats accepted, ${fmt(roar.roar.chatRejected)} rejected, ` +
        `${fmt(roar.roar.sampledOut)} sampled out (per stream, counted once), ${fmt(roar.roar.framesOut)} frames written, ` +
        `${fmt(roar.roar.slowDemoted)} slow clients demoted, degradation level ${roar.roar.level} at the end.`,
      '',
    );
  }
  const uwsFrame = bareFrameCost(r);
  const sio = rows.find((s) => s.kind === 'socketio')?.storm;
  // Measured by perf where it worked (lib/perf-split.mjs); else estimated from bare uWS's cost
  // per frame in section 1.
  if (roar?.roar && roar.perf) out.push(perfSplitText(roar, sio), '');
  else if (roar?.roar && uwsFrame) {
    const js = r.phases?.profile?.stormJs;
    out.push(whereStormCpuWent(roar, uwsFrame, sio, roarRun.wakeUp, js), '');
  }
  if (large?.roar && large.perf) out.push(perfSplitText(large, sio), '');
  else if (large?.roar && uwsFrame) out.push(largeAudience(large, uwsFrame, sio), '');
  return out;
}

/** Roar's storm CPU as perf sampled it: measured, not inferred. */
function perfSplitText(storm, sio) {
  const c = storm.perf.cpuS;
  const frames = Math.max(1, storm.roar.framesOut);
  const chats = Math.max(1, storm.roar.chatAccepted);
  const sampled = Object.values(c).reduce((a, b) => a + b, 0);
  const us = (s, n) => fmt((s / n) * 1e6, 1);
  const bound = storm.delivered / Math.max(1e-9, c.socketWrites);
  return (
    `Where Roar's CPU went in the ${fmt(storm.viewers)}-viewer storm, by perf (${fmt(storm.perf.samples)} ` +
    `samples at ${fmt(storm.perf.hz)} Hz of every thread, ${fmt(sampled, 2)} CPU-s sampled against ` +
    `${fmt(storm.serverCpuS, 2)} counted; perf's sampling is itself charged to the gateway): in the kernel, ` +
    `socket writes ${fmt(c.socketWrites, 3)} s (${us(c.socketWrites, frames)} µs for each of ${fmt(frames)} ` +
    `frames, the receiving side's loopback work included), event-loop waits ${fmt(c.loopWaits, 3)} s ` +
    `(${us(c.loopWaits, chats)} µs per chat), socket reads ${fmt(c.socketReads, 3)} s ` +
    `(${us(c.socketReads, chats)} µs per chat), the rest of the kernel ${fmt(c.otherKernel, 3)} s; on the ` +
    `main thread, JavaScript (with the V8 builtins and natives it calls) started by socket callbacks — chat ` +
    `frames in, and the bus's hand-off after each — ${fmt(c.socketCallbacks, 3)} s ` +
    `(${us(c.socketCallbacks, chats)} µs per accepted chat), by timers (the fanout ticks that write the ` +
    `batches, the slow-client sweep, monitors) ${fmt(c.timers, 3)} s, by immediates ${fmt(c.immediates, 3)} s, ` +
    `native code without JavaScript above it (uWS's loop and its side of the writes, V8) ` +
    `${fmt(c.mainNative, 3)} s; other threads (V8's garbage collector and compiler) ` +
    `${fmt(c.otherThreads, 3)} s. The socket writes alone bound Roar at ${fmt(bound)} messages per CPU-s` +
    (sio ? ` (${fmt(bound / sio.messagesPerCpuS, 1)}× Socket.IO's measured figure).` : '.')
  );
}

/**
 * The split of Roar's storm CPU: at rest, frames, and per accepted chat the wake-ups and frames
 * this run counted, the rest being JavaScript and the kernel's reads; JavaScript as the profile's
 * rerun of the storm saw it is given beside, not subtracted (the profiler slows what it samples).
 */
function whereStormCpuWent(roar, uwsFrame, sio, wakeUp, js) {
  const frames = roar.roar.framesOut;
  const writing = (frames * uwsFrame) / 1e6;
  const atRest = (roar.restCpuPerS ?? 0) * roar.seconds;
  const accepted = Math.max(1, roar.roar.chatAccepted);
  const chats = Math.max(0, roar.serverCpuS - writing - atRest);
  const perChat = (chats / accepted) * 1e6;
  const bound = roar.delivered / Math.max(1e-9, writing + atRest);
  const framesOnly = roar.delivered / Math.max(1e-9, writing);
  const vsSio = (x) =>
    sio ? ` (${fmt(x / sio.messagesPerCpuS, 1)}× Socket.IO's measured figure)` : '';
  const parts = [];
  let known = 0;
  if (wakeUp && roar.wakeUpsPerMessage !== undefined) {
    const wakeUs = roar.wakeUpsPerMessage * wakeUp.uwsFrameUs;
    parts.push(
      `${fmt(roar.wakeUpsPerMessage, 2)} event-loop wake-ups (the main thread's waits in epoll that ended, beyond ` +
        `its ${fmt(roar.restWakeUpsPerS)} a second at rest) at ${fmt(wakeUp.uwsFrameUs, 1)} µs each, what bare uWS ` +
        `spends woken by one small frame, measured just before the storm (an idle Node process woken by a timer: ` +
        `${fmt(wakeUp.timerUs, 1)} µs), ≈ ${fmt(wakeUs)} µs`,
    );
    known += wakeUs;
  }
  const extra = roar.roar.extraFramesPerChat;
  if (extra !== undefined) {
    parts.push(
      `${fmt(extra, 2)} frames beyond the fanout (senders' own copies of messages sampling left out, one frame ` +
        `per sender per batch; the bench's chatters send no \`ref\`, so no acks) at the frame cost, ` +
        `≈ ${fmt(extra * uwsFrame, 1)} µs`,
    );
    known += extra * uwsFrame;
  }
  const split = parts.length
    ? ` Of each, this run counted ${parts.join('; ')}; the other ${fmt(Math.max(0, perChat - known))} µs ` +
      "is JavaScript and the kernel's socket reads, run with cold caches: each chat wakes the process, " +
      'and when 20 chats share a wake-up JavaScript costs about a third as much per chat and the whole ' +
      'chat about half (`loadtest/bench/chat-cost.mjs --together 20`).'
    : '';
  const profiled = js
    ? ` Under \`--cpu-prof\` (the profile's rerun of this storm, below, which slows what it samples) ` +
      `V8 counted ${fmt(js.jsUsPerChat, 1)} µs of JavaScript per accepted chat beyond the gateway's rest, ` +
      `garbage collection ${fmt(js.gcUsPerChat, 1)} µs apart.`
    : '';
  return (
    `Where Roar's storm CPU went (${fmt(roar.serverCpuS, 2)} CPU-s over ${fmt(roar.seconds, 1)} s): ` +
    `at rest, with the same connections open, the gateway used ${fmt((roar.restCpuPerS ?? 0) * 1000, 1)} ms of CPU per second ` +
    `(its timers — the 50 ms fanout tick, event-loop monitors, the 250 ms slow-client sweep — and idle sockets), ` +
    `about ${fmt(atRest, 2)} s of the window; ${fmt(frames)} frames at bare uWS's cost per frame from section 1 ` +
    `(${fmt(uwsFrame, 1)} µs) account for about ${fmt(writing, 2)} s; the remaining ${fmt(chats, 2)} s is accepting ` +
    `${fmt(roar.roar.chatAccepted)} chats, about ${fmt(perChat)} µs each.${split}${profiled} ` +
    `Frames and rest alone bound Roar at about ${fmt(bound)} messages per CPU-s${vsSio(bound)}; ` +
    `frames alone, what a much bigger audience would approach as the fixed costs spread over it, ` +
    `${fmt(framesOnly)}${vsSio(framesOnly)}.`
  );
}

/** Roar's second row: the same chat before a bigger audience, against the frames' bound. */
function largeAudience(large, uwsFrame, sio) {
  const writing = (large.roar.framesOut * uwsFrame) / 1e6;
  const framesOnly = large.delivered / Math.max(1e-9, writing);
  const vs = (x) => (sio ? `${fmt(x / sio.messagesPerCpuS, 1)}× Socket.IO's figure above` : '');
  return (
    `Before ${fmt(large.viewers)} viewers Roar delivered ${fmt(large.messagesPerCpuS)} messages per CPU-s ` +
    `(${vs(large.messagesPerCpuS)}) with ${fmt(large.roar.framesOut)} frames written; at bare uWS's cost per frame ` +
    `(${fmt(uwsFrame, 1)} µs) those frames alone take ${fmt(writing, 2)} of its ${fmt(large.serverCpuS, 2)} CPU-s and ` +
    `bound it at ${fmt(framesOnly)} messages per CPU-s (${vs(framesOnly)}): at 25 messages in about 2 frames per ` +
    'viewer-second, what is left to gain is in the frames, not in accepting chat.'
  );
}

/** Bare uWS's server CPU per frame (µs), pooled over its fanout steps at the largest audience. */
function bareFrameCost(r) {
  const sizes = [...new Set(r.servers.flatMap((s) => s.fanout.map((f) => f.viewers)))].sort(
    (a, b) => b - a,
  );
  for (const n of sizes) {
    const p = pooled(r.servers, n, ['uws']);
    if (p) return p.kinds.uws.cpuSPerMillionFrames;
  }
  return undefined;
}

export function memorySection(r) {
  const rows = r.servers.filter((s) => s.memory);
  if (!rows.length) return [];
  const out = ['## 3. Memory per idle connection', ''];
  out.push(
    'RSS of the server process after opening every viewer (each joined to the stream, then idle for 2 s) minus its RSS ' +
      'before, divided by the connections (viewers + 20 chatters). Both readings follow a full garbage collection asked ' +
      'for over the inspector protocol (`--inspect=127.0.0.1:0`, `HeapProfiler.collectGarbage`), so they compare live ' +
      'memory; "without GC" is the same difference read as it was.',
    '',
  );
  out.push(
    table(
      [
        'Server',
        'Connections',
        'RSS before MB',
        'RSS after MB',
        'Bytes per connection',
        'without GC',
        'of which V8 heap',
      ],
      rows.map((s) => [
        NAMES[s.kind],
        fmt(s.memory.connections),
        fmt(s.memory.rssBeforeMB, 1),
        fmt(s.memory.rssAfterMB, 1),
        `**${fmt(s.memory.bytesPerConnection)}**`,
        fmt(s.memory.rawBytesPerConnection),
        fmt(s.memory.heapBytesPerConnection),
      ]),
    ),
    '',
    'The Roar process here is embedded mode: besides the gateway it holds the aggregator and the in-memory store, whose ' +
      'unique-viewer set keeps every viewer id (in a deployment that is a HyperLogLog in Redis). Section 4 gives the ' +
      'gateway-mode figure.',
    '',
  );
  return out;
}

/** The CPU-per-frame comparison with the two servers' steps alternated (phases/paired.mjs). */
export function pairedSection(r) {
  const sets = r.phases?.paired?.sets ?? [];
  if (!sets.length) return [];
  const out = [
    '### CPU per frame, Roar and bare uWS alternated',
    '',
    'Both servers up at once, each with its own viewers of the same count and its own 20 chatters, after the same warm-up ' +
      'and an unmeasured burst to each audience; at ' +
      'each rate one step of Roar, two of bare uWS, one of Roar again, so a drift in the machine’s speed (section 1 runs the ' +
      'servers in sections minutes apart) weighs on both alike. The CPU-per-frame targets are judged on these steps, pooled ' +
      '(Σ CPU / Σ frames).',
    '',
  ];
  const rows = [];
  /** Roar's CPU per frame over bare uWS's, pooled over a rate's steps. */
  const ratio = (steps) => {
    const per = (kind) => {
      const mine = steps.filter((s) => s.kind === kind);
      return mine.reduce((a, s) => a + s.serverCpuS, 0) / mine.reduce((a, s) => a + s.frames, 0);
    };
    return `${fmt(per('roar') / per('uws'), 2)}×`;
  };
  for (const set of sets) {
    for (const rate of set.rates) {
      const steps = set.steps.filter((s) => s.rate === rate);
      const at = (kind) => steps.filter((s) => s.kind === kind);
      const cell = (kind) =>
        at(kind)
          .map((s) => fmt(s.cpuSPerMillionFrames, 1))
          .join(', ');
      const p99 = (kind) =>
        at(kind)
          .map((s) => fmt(s.p99Ms))
          .join(', ');
      rows.push([
        fmt(set.n),
        fmt(rate),
        cell('roar'),
        cell('uws'),
        ratio(steps),
        p99('roar'),
        p99('uws'),
      ]);
    }
    const p = set.pooled;
    rows.push([
      fmt(set.n),
      'pooled',
      p ? `**${fmt(p.roar.cpuSPerMillionFrames, 1)}**` : '–',
      p ? `**${fmt(p.uws.cpuSPerMillionFrames, 1)}**` : '–',
      p
        ? `**${fmt(p.roar.cpuSPerMillionFrames / p.uws.cpuSPerMillionFrames, 2)}×**`
        : 'a step under 95% delivered',
      '',
      '',
    ]);
  }
  out.push(
    table(
      [
        'Viewers',
        'Msg/s',
        'Roar CPU-s per M frames',
        'bare uWS CPU-s per M frames',
        'Roar / bare uWS',
        'Roar p99 ms',
        'bare uWS p99 ms',
      ],
      rows,
    ),
    '',
  );
  return out;
}
