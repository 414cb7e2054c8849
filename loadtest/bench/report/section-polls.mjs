// The polls section of RESULTS.md and its targets (issue 14): a voting burst over several
// gateway processes (phases/polls.mjs).
import { fmt, table } from './format.mjs';

/** The polls targets, as rows of the report's Targets table. */
export function pollTargets(results) {
  const p = results.phases?.polls;
  if (!p) return [];
  const n = `${fmt(p.voters)} voters over ${p.gateways} gateways in ${p.seconds} s`;
  return [
    {
      id: 'polls-exact',
      target: `Polls: results exact for signed-in voters (${n}, ${fmt(p.twins)} of them on two gateways)`,
      value: p.exact ? `exact: ${p.truth.join(' / ')}` : `seen ${JSON.stringify(p.finalsSeen)}`,
      pass: p.exact === true,
    },
    {
      id: 'polls-final',
      target: 'Polls: every viewer shows the final result ≤ 2 s after the close',
      value: `${fmt(p.closeToAllFinalMs)} ms (the grace ROAR_POLL_GRACE_MS is 1,000 of it)`,
      pass: p.closeToAllFinalMs <= 2000,
    },
    {
      id: 'polls-cpu',
      target: 'Polls: gateway CPU per vote ≤ 2× a reaction',
      value: `${fmt(p.cpuPerVoteUs, 1)} vs ${fmt(p.cpuPerReactionUs, 1)} µs = ${fmt(p.cpuVoteToReaction, 2)}×`,
      pass: p.cpuVoteToReaction <= 2,
      cpu: true,
    },
    {
      id: 'polls-redis',
      target:
        'Polls: ≤ 1 Redis command per vote, amortised (INFO commandstats, script calls included)',
      value: `${fmt(p.redisCommandsPerVote, 3)}`,
      pass: p.redisCommandsPerVote <= 1,
    },
  ];
}

export function pollsSection(r) {
  const p = r.phases.polls;
  const calls = Object.entries(p.redisCommands ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${fmt(n)}`)
    .join(', ');
  return [
    '## Polls: a voting burst',
    '',
    `${fmt(p.voters)} signed-in voters on ${p.gateways} gateway processes (ROAR_MODE=gateway, one NATS, one Redis), ` +
      `each voting once within ${p.seconds} s, and ${fmt(p.twins)} of them voting again from a second connection on ` +
      'another gateway (the same answer: a phone and a TV). Then the poll is closed over the admin API, and the same ' +
      'burst is sent as reactions to compare the gateways\u2019 CPU. CPU is the gateways\u2019 `/proc` time over each ' +
      'burst (to the last ack + 1.5 s) less their idle rate.',
    '',
    table(
      [
        'Votes acked',
        'Exact',
        'Last vote → every viewer sees it',
        'Close → every viewer shows the final',
        'CPU per vote',
        'CPU per reaction',
        'Redis commands per vote',
      ],
      [
        [
          fmt(p.votes?.acked),
          p.exact ? `**yes** (${p.truth.join(' / ')})` : '**no**',
          `${fmt(p.lastVoteToAllMs)} ms`,
          `**${fmt(p.closeToAllFinalMs)} ms** (counting shown after ${fmt(p.closeToAllCountingMs)} ms)`,
          `${fmt(p.cpuPerVoteUs, 1)} µs`,
          `${fmt(p.cpuPerReactionUs, 1)} µs`,
          `**${fmt(p.redisCommandsPerVote, 3)}**`,
        ],
      ],
    ),
    '',
    `Redis commands during the burst and the close, the ones scripts ran included: ${calls} (${fmt(p.redisCommandsTotal)} in all).`,
    '',
  ];
}
