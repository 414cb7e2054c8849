import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  parseClientMessage,
  parseSettingsPatch,
  type ChatEvent,
  type ModAction,
} from '@roar/protocol';
import { GLOBAL_SCOPE } from '@roar/store';
import { json, type Route } from '../base/http.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { requireAdmin, type Actor } from './actor.js';
import {
  AdminRouter,
  type AdminRequest,
  type AdminRoute,
  type AdminRouterOptions,
} from './admin-router.js';
import type { ModerationService } from './service.js';

export interface AdminApiOptions extends AdminRouterOptions {
  service: ModerationService;
  registry: StreamRegistry;
  /** This gateway's degradation level and the pinned one, for GET /degradation. */
  level: () => { level: number; pinned: number | null };
  /**
   * The stream features' own routes (live state, Q&A, polls: `StreamFeature.routes`), built on
   * the same router.
   */
  featureRoutes: (route: AdminRoute) => Route[];
}

/** Checks a body against a moderation action with the protocol's own strict parser. */
function action<T extends ModAction['type']>(
  type: T,
  fields: Record<string, unknown>,
): Extract<ModAction, { type: T }> {
  const message = parseClientMessage({ type: 'mod', stream: 'x', action: { ...fields, type } });
  if (message.type !== 'mod') throw new Error('unreachable');
  return message.action as Extract<ModAction, { type: T }>;
}

const stream = (req: AdminRequest): string => req.params.stream ?? '';

/** The audit log's page: `limit` (with the document's default) and `before`. */
const page = (req: AdminRequest): [number, string | undefined] => [
  req.query.limit as number,
  req.query.before as string | undefined,
];

/**
 * The admin API under `/admin/v1` (docs/openapi.yaml). Every route authenticates first (401),
 * then checks the request against the document's operation (400, or 415 for a body that is not
 * JSON), then the actor's right inside the service (403), and answers errors as
 * `{"error": {"code", "message"}}`. Mutations accept an `Idempotency-Key`: it is claimed before
 * the action runs and released if the action fails, so only a request that succeeded uses it up;
 * a replay of one within 24 h is refused with 409 and changes nothing.
 */
export function adminRoutes(o: AdminApiOptions): Route[] {
  const { service } = o;
  const router = new AdminRouter(o);
  const route = router.route.bind(router);
  const chat = (bytes: Uint8Array): ChatEvent => EncodedEvent.fromMsgpack<ChatEvent>(bytes).event;

  const routes = [
    route('del', '/streams/:stream/messages/:id', async (req, actor) => {
      const { id } = action('delete', { id: req.params.id });
      const reason = req.query.reason as string | undefined;
      await service.deleteMessage(actor, stream(req), id, reason);
      return json(200, { deleted: id });
    }),
    route('post', '/streams/:stream/clear', async (req, actor) => {
      const a = action('clear', req.body);
      await service.clear(actor, stream(req), a.reason);
      return json(200, { cleared: true });
    }),
    route('put', '/streams/:stream/pin', async (req, actor) => {
      const a = action('pin', { id: req.body.messageId });
      return json(200, { pinned: await service.pin(actor, stream(req), a.id) });
    }),
    route('del', '/streams/:stream/pin', async (req, actor) => {
      await service.unpin(actor, stream(req));
      return json(200, { pinned: null });
    }),
    route('post', '/streams/:stream/announcements', async (req, actor) => {
      const a = action('announce', req.body);
      return json(201, { announcement: await service.announce(actor, stream(req), a.text) });
    }),
    route('post', '/streams/:stream/timeouts', async (req, actor) => {
      const a = action('timeout', req.body);
      return json(201, {
        ban: await service.ban(actor, stream(req), a.userId, a.reason, a.seconds),
      });
    }),
    route('post', '/streams/:stream/bans', async (req, actor) =>
      json(201, { ban: await banFrom(actor, stream(req), req.body) }),
    ),
    route('get', '/streams/:stream/bans', async (req, actor) =>
      json(200, { bans: await service.listBans(actor, stream(req)) }),
    ),
    route('del', '/streams/:stream/bans/:userId', async (req, actor) => {
      const { userId } = action('unban', { userId: req.params.userId });
      await service.unban(actor, stream(req), userId);
      return json(200, { unbanned: userId });
    }),
    route('post', '/bans', async (req, actor) =>
      json(201, { ban: await banFrom(actor, GLOBAL_SCOPE, req.body) }),
    ),
    route('get', '/bans', async (_req, actor) =>
      json(200, { bans: await service.listBans(actor, GLOBAL_SCOPE) }),
    ),
    route('del', '/bans/:userId', async (req, actor) => {
      const { userId } = action('unban', { userId: req.params.userId });
      await service.unban(actor, GLOBAL_SCOPE, userId);
      return json(200, { unbanned: userId });
    }),
    route('get', '/streams/:stream/settings', async (req, actor) =>
      json(200, { settings: await service.settings(actor, stream(req)) }),
    ),
    route('patch', '/streams/:stream/settings', async (req, actor) => {
      const patch = parseSettingsPatch(req.body);
      return json(200, { settings: await service.updateSettings(actor, stream(req), patch) });
    }),
    route('get', '/streams/:stream/stats', async (req, actor) => {
      const id = stream(req);
      const stats = await service.stats(actor, id);
      // Asked after the service checked the actor's right, so a 404 tells outsiders nothing.
      const known =
        o.registry.get(id) !== undefined || (await o.store.stats.totals(id)) !== undefined;
      if (!known) throw new RoarError(ErrorCode.NotFound, `no stream ${id} has been seen`);
      return json(200, stats);
    }),
    route('get', '/streams/:stream/audit', async (req, actor) =>
      json(200, { entries: await service.audit(actor, stream(req), ...page(req)) }),
    ),
    route('get', '/audit', async (req, actor) =>
      json(200, { entries: await service.audit(actor, GLOBAL_SCOPE, ...page(req)) }),
    ),
    route('get', '/streams/:stream/held', async (req, actor) => {
      const held = await service.held(actor, stream(req));
      return json(200, {
        held: held.map((h) => ({ id: h.id, at: h.at, reason: h.reason, message: chat(h.bytes) })),
      });
    }),
    route('post', '/streams/:stream/held/:id/approve', async (req, actor) => {
      const { id } = action('approve', { id: req.params.id });
      return json(200, { approved: await service.approve(actor, stream(req), id) });
    }),
    route('post', '/streams/:stream/held/:id/deny', async (req, actor) => {
      const a = action('deny', { ...req.body, id: req.params.id });
      await service.deny(actor, stream(req), a.id, a.reason);
      return json(200, { denied: a.id });
    }),
    route('get', '/degradation', async (_req, actor) => {
      // The same right as pinning it: the level tells an outsider how close the server is to
      // shedding, which is worth knowing when attacking it.
      requireAdmin(actor);
      return json(200, o.level());
    }),
    route('put', '/degradation', async (req, actor) => {
      const level = req.body.level as number | null;
      await service.setLevel(actor, level);
      return json(200, { pinned: level });
    }),
  ];
  return [...routes, ...o.featureRoutes(route), router.preflight()];

  async function banFrom(actor: Actor, scope: string, fields: Record<string, unknown>) {
    const { seconds, ...rest } = fields;
    const a = action('ban', rest);
    if (seconds !== undefined) {
      const t = action('timeout', { userId: a.userId, seconds });
      return service.ban(actor, scope, a.userId, a.reason, t.seconds);
    }
    return service.ban(actor, scope, a.userId, a.reason);
  }
}
