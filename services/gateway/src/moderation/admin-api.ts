import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  parseClientMessage,
  parseSettingsPatch,
  type ChatEvent,
  type ModAction,
} from '@roar/protocol';
import { GLOBAL_SCOPE, type Store } from '@roar/store';
import {
  json,
  jsonError,
  type HttpMethod,
  type HttpReply,
  type HttpRequest,
  type Route,
} from '../base/http.js';
import { corsHeaders, type AllowedOrigins } from '../base/origins.js';
import type { Logger } from '@roar/runtime';
import { requestId } from '../base/request-id.js';
import type { Tracing } from '../base/tracing.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { requireAdmin, type Actor } from './actor.js';
import type { AdminSpec } from './admin-spec.js';
import type { AdminAuth } from './authz.js';
import type { ModerationService } from './service.js';

export interface AdminApiOptions {
  service: ModerationService;
  auth: AdminAuth;
  store: Store;
  registry: StreamRegistry;
  /** docs/openapi.yaml, compiled: every request is checked against its operation. */
  spec: AdminSpec;
  /** Browser origins the API answers with CORS (`ROAR_ALLOWED_ORIGINS`). */
  allowedOrigins: AllowedOrigins;
  /** This gateway's degradation level and the pinned one, for GET /degradation. */
  level: () => { level: number; pinned: number | null };
  /** One line per request, with its request id (docs/operations.md). */
  log: Logger;
  /** A span per request; undefined when tracing is off. */
  tracing?: Tracing | undefined;
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.BadFrame]: 400,
  [ErrorCode.InvalidField]: 400,
  [ErrorCode.InvalidStream]: 400,
  [ErrorCode.InvalidUtf8]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.TokenInvalid]: 401,
  [ErrorCode.TokenExpired]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Duplicate]: 409,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** The HTTP status of an error: its code decides; anything unexpected is a 500. */
export function httpError(error: unknown): HttpReply {
  if (error instanceof RoarError)
    return jsonError(STATUS[error.code] ?? 400, error.code, error.message);
  return jsonError(500, ErrorCode.Internal, 'internal error');
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** A request that passed the OpenAPI document's checks: what handlers read. */
interface AdminRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
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

type Handler = (req: AdminRequest, actor: Actor) => Promise<HttpReply>;

// What a moderator tool on another origin may send: credentials, JSON, idempotency, and the
// request-id and trace headers operators correlate logs with.
const ALLOWED_HEADERS =
  'authorization, content-type, idempotency-key, x-api-key, x-request-id, traceparent';

/**
 * The admin API under `/admin/v1` (docs/openapi.yaml). Every route authenticates first (401),
 * then checks the request against the document's operation (400, or 415 for a body that is not
 * JSON), then the actor's right inside the service (403), and answers errors as
 * `{"error": {"code", "message"}}`. Mutations accept an `Idempotency-Key`: it is claimed before
 * the action runs and released if the action fails, so only a request that succeeded uses it up;
 * a replay of one within 24 h is refused with 409 and changes nothing.
 */
export function adminRoutes(o: AdminApiOptions): Route[] {
  const { service, spec } = o;
  const methods = new Map<string, Set<string>>();
  const route = (method: HttpMethod, path: string, handler: Handler): Route => {
    const pattern = `/admin/v1${path}`;
    const op = spec.operation(method, pattern);
    const verbs = methods.get(pattern) ?? new Set(['OPTIONS']);
    verbs.add(op.method.toUpperCase());
    if (op.method === 'get') verbs.add('HEAD');
    methods.set(pattern, verbs);
    return {
      method,
      pattern,
      // Bodies up to the largest the document allows; operations without one read a little,
      // so that a stray body is answered 400 rather than cut off.
      maxBodyBytes: op.maxBodyBytes || 1024,
      // Every request gets an id (the caller's X-Request-Id when sane), echoed and logged.
      handler: async (req) => {
        const id = requestId(req.header('x-request-id'));
        const started = performance.now();
        const span = o.tracing?.admin(req.method, pattern, id, req.header('traceparent'));
        const who: { actor?: string } = {};
        const cors = corsHeaders(o.allowedOrigins, req.header('origin'), req.header('host'));
        const reply = await answer(req, who);
        span?.end(reply.status);
        o.log.info('admin request', {
          requestId: id,
          method: req.method,
          path: req.path,
          status: reply.status,
          ...(who.actor !== undefined ? { actor: who.actor } : {}),
          ms: Math.round((performance.now() - started) * 10) / 10,
        });
        return { ...reply, headers: { ...reply.headers, ...cors, 'x-request-id': id } };
      },
    };

    async function answer(req: HttpRequest, who: { actor?: string }): Promise<HttpReply> {
      let claim: string | undefined;
      try {
        const actor = await o.auth.actor(req);
        who.actor = actor.id;
        const checked = op.check(req);
        if (!checked.ok) return jsonError(checked.status, checked.code, checked.message);
        const key = req.header('idempotency-key');
        if (op.method !== 'get' && key !== undefined) {
          claim = `${actor.id}:${key}`;
          if (!(await o.store.moderation.claimRequest(claim, IDEMPOTENCY_TTL_MS))) {
            claim = undefined;
            return jsonError(
              409,
              'duplicate_request',
              'this Idempotency-Key was already used: the action was not repeated',
            );
          }
        }
        const { params, query, body } = checked.request;
        const reply = await handler(
          { params: params as Record<string, string>, query, body: body ?? {} },
          actor,
        ).catch(httpError);
        if (claim !== undefined && reply.status >= 400) await release(claim);
        return reply;
      } catch (error) {
        if (claim !== undefined) await release(claim);
        return httpError(error);
      }
    }

    /**
     * Frees the key of a request that failed. The failure is the answer the caller needs; a key
     * the store cannot free now (it is down) expires with its TTL.
     */
    async function release(key: string): Promise<void> {
      await o.store.moderation.releaseRequest(key).catch(() => undefined);
    }
  };
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
  return [...routes, preflight()];

  /** `OPTIONS /admin/v1/*`: the CORS preflight, answered from the allowlist. */
  function preflight(): Route {
    return {
      method: 'options',
      pattern: '/admin/v1/*',
      handler: (req) => {
        const origin = req.header('origin');
        const cors = corsHeaders(o.allowedOrigins, origin, req.header('host'));
        const allow = allowedMethods(req.path);
        if (allow === undefined)
          return jsonError(404, ErrorCode.NotFound, `no route for ${req.path}`, cors);
        if (!cors['access-control-allow-origin'])
          return jsonError(403, ErrorCode.Forbidden, 'this origin may not call the admin API', {
            ...cors,
            allow,
          });
        return {
          status: 204,
          headers: {
            ...cors,
            allow,
            'access-control-allow-methods': allow,
            'access-control-allow-headers': ALLOWED_HEADERS,
            'access-control-max-age': '600',
          },
        };
      },
    };
  }

  function allowedMethods(path: string): string | undefined {
    for (const [pattern, verbs] of methods) {
      const re = new RegExp(`^${pattern.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
      if (re.test(path)) return [...verbs].join(', ');
    }
    return undefined;
  }

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
