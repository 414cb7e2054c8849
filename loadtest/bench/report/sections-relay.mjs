// The relay phase (issue 17, parts 1 and 2): NATS copies and gateway CPU of one stream's storm.
import { fmt, table } from './format.mjs';

export function relaySection(r) {
  const p = r.phases.relay;
  const c = r.config?.relay;
  const out = ['## Chat storm: the relay and the shared NATS connection', ''];
  out.push(
    `${p.processes} gateway processes (${p.viewersPerProcess} viewers each, one stream), ` +
      `${c?.chatters ?? '?'} chatters offering ${c ? c.chatters * c.ratePerChatter : '?'} messages/s for ` +
      `${c?.seconds ?? '?'} s, real nats-server, redis-server and aggregator. NATS messages are the ` +
      "server's `/varz` counts during the storm less its idle rate (reports, counts, relay beats) over " +
      'as long; "out" includes the copy to the relay. CPU is the gateway processes\' (the relay\'s ' +
      "is the aggregator's, listed apart).",
    '',
  );
  out.push(
    table(
      [
        'Relay',
        'Workers per process (bus)',
        'Accepted chat',
        'NATS out per chat',
        'NATS in + out per chat',
        'Shown per viewer/s',
        'Chat latency p50 / p99 ms',
        'Gateway CPU s',
        'Aggregator CPU s',
        'Gateway CPU µs per viewer-second',
        'Gateway CPU µs per accepted chat',
      ],
      p.runs.map((x) =>
        x.skipped
          ? [
              x.relay ? 'on' : 'off',
              `${x.workers}`,
              `skipped (${x.skipped})`,
              '',
              '',
              '',
              '',
              '',
              '',
              '',
            ]
          : [
              x.relay ? 'on' : 'off',
              x.workers > 1 ? `${x.workers} (${x.bus})` : '1',
              fmt(x.accepted),
              fmt(x.natsOutPerChat, 2),
              fmt(x.natsTotalPerChat, 2),
              fmt(x.shownPerViewerPerS, 1),
              `${fmt(x.chatLatencyP50Ms)} / ${fmt(x.chatLatencyP99Ms)}`,
              fmt(x.gatewayCpuS, 2),
              fmt(x.aggregatorCpuS, 2),
              fmt(x.cpuUsPerViewerSecond, 0),
              fmt(x.cpuUsPerAcceptedChat, 0),
            ],
      ),
    ),
    '',
  );
  return out;
}
