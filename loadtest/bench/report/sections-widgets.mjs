// The live-widgets section of RESULTS.md (issue 14).
import { fmt } from './format.mjs';

export function widgetsSection(r) {
  const w = r.phases.widgets;
  if (w.skipped)
    return ['## Live widgets: 100 updates a second of one key', '', `Skipped: ${w.skipped}.`, ''];
  const reach = w.reachEveryViewerMs;
  const chat = w.chatToViewersMs;
  const alone = w.chatAloneToEveryViewerMs;
  const g = w.gateway;
  return [
    '## Live widgets: 100 updates a second of one key',
    '',
    `One gateway (embedded), ${w.viewers} viewers of one stream, one key written ${w.ratePerS} times a ` +
      `second through the admin API for ${w.seconds} s (${w.updates} writes, ${w.failedWrites} failed), ` +
      `tick ${w.tickMs} ms (${w.ticks} ticks).`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| frames carrying the key, per viewer | ${w.framesPerViewer} on average, ${w.maxFramesPerViewer} at most | ≤ ${w.ticks + 1} (one per tick) |`,
    `| an update to every viewer, from its write (p50 / p99 / max) | ${reach.p50} / ${reach.p99} / ${reach.max} ms | ≤ one tick + a chat frame's fanout |`,
    `| the write's answer (admin API, store) | ${w.writeAckMs.p50} / ${w.writeAckMs.p99} / ${w.writeAckMs.max} ms | |`,
    `| an update to every viewer, from the write's answer | ${w.reachAfterAckMs.p50} / ${w.reachAfterAckMs.p99} / ${w.reachAfterAckMs.max} ms | |`,
    ...(alone
      ? [
          `| the reference: a chat frame's fanout to every viewer, alone (p50 / p99 / max) | ${alone.p50} / ${alone.p99} / ${alone.max} ms | (${alone.messages} messages, one at a time, before the writes) |`,
        ]
      : []),
    `| a chat message sent meanwhile, to every viewer (p50 / p99 / max) | ${w.chatToEveryViewerMs.p50} / ${w.chatToEveryViewerMs.p99} / ${w.chatToEveryViewerMs.max} ms | (${w.chatToEveryViewerMs.messages} messages, in the same frames as the updates) |`,
    `| the same, per delivery (p50 / p99 / max) | ${chat.p50} / ${chat.p99} / ${chat.max} ms | |`,
    `| viewers holding the last value (the store's after the last answer${w.finalSeq === undefined ? '' : `: write ${w.finalSeq} of ${w.updates}`}) | ${w.reachedFinal?.reached ?? '?'} of ${w.reachedFinal?.of ?? '?'} | all |`,
    ...(g
      ? [
          `| the gateway: one frame from its batch taken to every socket written (p50 / p99 within 25 ms buckets) | ${g.frameWriteMs.p50} / ${g.frameWriteMs.p99} ms | |`,
          `| the gateway: frames written per viewer, ticks merged | ${fmt(g.framesOut / Math.max(1, w.viewers), 1)}, ${fmt(g.coalesced)} | |`,
          ...(g.updateToEverySocketMs
            ? [
                `| the gateway: an update from its arrival to every socket written with it or a newer one (p50 / p99 within 25 ms buckets, mean) | ${g.updateToEverySocketMs.p50} / ${g.updateToEverySocketMs.p99} ms, ${g.updateToEverySocketMs.mean} ms | ≤ one tick + a frame's writing in the same run (${w.tickMs} + ${g.frameWriteMs.p99} ms, its p99) |`,
                ...(g.chatToEverySocketMs
                  ? [
                      `| the gateway: a chat message sent meanwhile, from its acceptance to every socket written (p50 / p99) | ${g.chatToEverySocketMs.p50} / ${g.chatToEverySocketMs.p99} ms | |`,
                    ]
                  : []),
                `| the gateway: a chat frame's writing alone, before the updates (p99; mean) | ${g.chatAloneWriteP99Ms} ms; ${g.chatAloneWriteMs} ms | the stricter reference |`,
              ]
            : []),
        ]
      : []),
    ...(w.cores
      ? [
          `| cores used while the updates flowed: the gateway, the viewers' load generators, the writer | ${w.cores.gateway}, ${w.cores.viewers}, ${w.cores.writer} of 2 | |`,
          `| the viewers' load generators: CPU per frame read | ${w.viewerCpuUsPerFrame} µs | |`,
          ...(w.gatewayMainThread
            ? [
                `| the gateway's main thread meanwhile: share of the time running, and waiting for a core | ${w.gatewayMainThread.running}, ${w.gatewayMainThread.waitingForCore} | |`,
                `| the gateway's degradation level after the updates | ${g?.levelAfter ?? '?'} | 0 |`,
              ]
            : []),
        ]
      : []),
    '',
    `Target met: **${w.targetMet ? 'yes' : 'no'}** (every viewer ended on the value the store holds, no viewer got more frames than ticks passed, and the p99 of an ` +
      `update's time to every viewer within ${w.tickMs} ms plus the p99 of a chat message's sent meanwhile)` +
      (alone
        ? `; against a chat frame's fanout measured alone, the stricter reading: **${w.targetMetAlone ? 'yes' : 'no'}** ` +
          `(${reach.p99} ms against ${w.tickMs} + ${alone.p99} ms)`
        : '') +
      ". An update's time is from its write being sent to the last viewer holding that value or a newer one: " +
      'with conflation a viewer may skip a value for a newer one, never wait behind an older one.' +
      (g
        ? ` On the gateway's side, a frame to all ${fmt(w.viewers)} sockets took ` +
          `${g.frameWriteMs.mean ?? g.frameWriteMs.p99} ms on average; while one is being written the next ` +
          "ticks' chat waits and is merged, but a newer value joins the slices of the frame in progress not " +
          'written yet and the slices already written get it first in the next frame, so the gateway writes ' +
          `an update to every socket within about one such write (${g.boundMs} ms)` +
          (g.updateToEverySocketMs
            ? `; measured by the gateway, p99 ${g.updateToEverySocketMs.p99} ms against one tick plus ` +
              `a frame's writing in the same run, ${w.tickMs} + ${g.frameWriteMs.p99} ms: ` +
              `**${w.targetMetGateway ? 'yes' : 'no'}**` +
              (w.targetMetGatewayAlone !== undefined
                ? `; against a chat frame's writing alone, ${w.tickMs} + ${g.chatAloneWriteP99Ms} ms, ` +
                  `the stricter reading: **${w.targetMetGatewayAlone ? 'yes' : 'no'}**`
                : '')
            : '') +
          ". The rest of an update's time to the viewers is their reading, done by load generators " +
          "sharing the gateway's two cores and busiest exactly while the updates flow (the chat frames " +
          'measured alone are read by idle ones).'
        : ''),
    '',
  ];
}
