import { parsePollSpec } from '@roar/protocol';
import type { StoredPoll } from '@roar/store';
import { json, type Route } from '../../base/http.js';
import type { AdminRequest, AdminRoute } from '../../moderation/admin-router.js';
import type { PollDesk } from './poll-desk.js';

const stream = (req: AdminRequest): string => req.params.stream ?? '';

/**
 * The polls' admin routes (docs/openapi.yaml, tag "Polls"): open, read (current or by id) and
 * close, for the stream's moderators and broadcaster, admins and API keys (the app backend).
 */
export function pollRoutes(route: AdminRoute, desk: PollDesk): Route[] {
  const view = (poll: StoredPoll) => ({ ...poll, open: desk.isOpen(poll) });
  return [
    route('post', '/streams/:stream/polls', async (req, actor) => {
      const poll = await desk.open(actor, stream(req), parsePollSpec(req.body));
      return json(201, { poll: view(poll) });
    }),
    // Before `:poll`: "current" is not a poll id (ids are 11 characters).
    route('get', '/streams/:stream/polls/current', async (req, actor) =>
      json(200, { poll: view(await desk.get(actor, stream(req))) }),
    ),
    route('get', '/streams/:stream/polls/:poll', async (req, actor) =>
      json(200, { poll: view(await desk.get(actor, stream(req), req.params.poll ?? '')) }),
    ),
    route('post', '/streams/:stream/polls/:poll/close', async (req, actor) =>
      json(200, { poll: view(await desk.close(actor, stream(req), req.params.poll ?? '')) }),
    ),
  ];
}
