import { parseClientMessage, type QaEvent } from '@roar/protocol';
import { json, type Route } from '../../base/http.js';
import { requireModerator } from '../../moderation/actor.js';
import type { AdminRoute } from '../../moderation/admin-router.js';
import { moderateQa, type QaCommandDeps } from './qa-actions.js';

/** The board as the admin API returns it (the event without its `type`). */
function boardOf({ type: _type, ...board }: QaEvent): Omit<QaEvent, 'type'> {
  return board;
}

/**
 * The Q&A's admin routes (issue 14; docs/openapi.yaml, tag `qa`): the backend, broadcasters and
 * moderators read a stream's board and act on its Q&A with the same rights, audit and publish
 * as the moderator command over WebSocket (`moderateQa`).
 */
export function qaRoutes(route: AdminRoute, d: QaCommandDeps): Route[] {
  return [
    route('get', '/streams/:stream/qa', async (req, actor) => {
      const stream = req.params.stream ?? '';
      requireModerator(actor, stream);
      const board = await d.store.qa.board(stream, d.config.qaTopN);
      return json(200, { board });
    }),
    route('get', '/streams/:stream/qa/questions', async (req, actor) => {
      const stream = req.params.stream ?? '';
      requireModerator(actor, stream);
      // Both checked against the document before the handler runs (enum, 1–500 with a default).
      const state = req.query.state as 'held' | 'hidden';
      const limit = req.query.limit as number;
      return json(200, { questions: await d.store.qa.list(stream, state, limit) });
    }),
    route('post', '/streams/:stream/qa/actions', async (req, actor) => {
      // The protocol's own strict parser, as for the WebSocket command.
      const message = parseClientMessage({
        type: 'qa_mod',
        stream: req.params.stream,
        action: req.body,
      });
      if (message.type !== 'qa_mod') throw new Error('unreachable');
      const board = await moderateQa(d, actor, message.stream, message.action);
      return json(200, { board: boardOf(board.event) });
    }),
  ];
}
