// Q&A (issue 14): the upvote burst of phases/qa.mjs.
import { fmt, table } from './format.mjs';

export function qaSection(r) {
  const q = r.phases.qa;
  const b = q.burst;
  if (!b) return ['## Q&A upvote burst', '', `Not measured: ${q.notes.join('; ')}`, ''];
  return [
    '## Q&A upvote burst',
    '',
    `${fmt(b.upvotes)} signed-in voters on ${q.gateways} gateway processes upvote ${q.questions} questions within ` +
      `${fmt(b.sendMs)} ms; ${fmt(b.duplicatesSent)} of them send the same upvote again from a second connection on ` +
      'another gateway. Commands sent are what the gateways sent Redis during the burst (a script is one command; ' +
      'board reads included); run counts also what those scripts ran inside Redis. Batches are the ' +
      'gateways\u2019 upvote scripts (`roar_qa_store_calls_total{op="upvote_batch"}`). The time is from ' +
      `the last upvote sent to the last of ${fmt(b.viewers)} viewers showing the exact final order.`,
    '',
    table(
      [
        'Exact order everywhere',
        'Acked / refused as duplicate',
        'Redis commands sent per upvote',
        'Run inside Redis per upvote',
        'Upvote batches per upvote',
        'Board reads',
        'Last upvote → every viewer shows the final order',
      ],
      [
        [
          b.exact ? '**yes**' : 'no',
          `${fmt(b.acked)} / ${fmt(b.refusedAsDuplicate)}`,
          `**${fmt(b.redisCommandsPerUpvote, 3)}**`,
          fmt(b.redisCommandsRunPerUpvote, 2),
          fmt(b.upvoteBatchesPerUpvote, 3),
          fmt(b.boardReads),
          b.lastUpvoteToAllViewersMs === undefined
            ? '–'
            : `**${fmt(b.lastUpvoteToAllViewersMs)} ms**`,
        ],
      ],
    ),
    '',
    ...(q.notes.length > 0 ? [`Notes: ${q.notes.join('; ')}`, ''] : []),
  ];
}
