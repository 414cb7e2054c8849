import {
  EncodedEvent,
  ErrorCode,
  ProtocolError,
  RoarError,
  isPlainObject,
  isStreamId,
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
} from '../http.js';
import type { Logger } from '@roar/runtime';
import { requestId } from '../request-id.js';
import type { Tracing } from '../tracing.js';
import type { StreamRegistry } from '../stream-registry.js';
import type { Actor } from './actor.js';
import type { AdminAuth } from './authz.js';
import type { ModerationService } from './service.js';

export interface AdminApiOptions {
  service: ModerationService;
  auth: AdminAuth;
  store: Store;
  registry: StreamRegistry;
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

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

function body(req: HttpRequest): Record<string, unknown> {
  if (!req.body || req.body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(req.body));
  } catch (cause) {
    throw new ProtocolError(ErrorCode.BadFrame, 'the body is not valid JSON', { cause });
  }
  if (!isPlainObject(value))
    throw new ProtocolError(ErrorCode.BadFrame, 'the body must be a JSON object');
  return value;
}

/** Checks a body against a moderation action with the protocol's own strict parser. */
function action<T extends ModAction['type']>(
  type: T,
  fields: Record<string, unknown>,
): Extract<ModAction, { type: T }> {
  if ('type' in fields) throw new ProtocolError(ErrorCode.InvalidField, 'unknown field "type"');
  const message = parseClientMessage({ type: 'mod', stream: 'x', action: { ...fields, type } });
  if (message.type !== 'mod') throw new Error('unreachable');
  return message.action as Extract<ModAction, { type: T }>;
}

function streamParam(req: HttpRequest): string {
  const stream = req.params.stream ?? '';
  if (!isStreamId(stream))
    throw new RoarError(
      ErrorCode.InvalidStream,
      'stream must be 1-64 characters of A-Z a-z 0-9 _ -',
    );
  return stream;
}

function limitParam(req: HttpRequest): { limit: number; before?: string } {
  const raw = req.query.get('limit');
  const limit = raw === null ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ProtocolError(ErrorCode.InvalidField, 'limit must be an integer from 1 to 500');
  }
  const before = req.query.get('before');
  return before === null ? { limit } : { limit, before };
}

type Handler = (req: HttpRequest, actor: Actor) => Promise<HttpReply>;

/**
 * The admin API under `/admin/v1` (docs/openapi.yaml). Every route authenticates first (401),
 * checks the actor's right inside the service (403), validates strictly (400), and answers
 * errors as `{"error": {"code", "message"}}`. Mutations accept an `Idempotency-Key`; a replay
 * within 24 h is refused with 409 and changes nothing.
 */
export function adminRoutes(o: AdminApiOptions): Route[] {
  const { service } = o;
  const route = (method: HttpMethod, path: string, handler: Handler): Route => {
    const handle = async (req: HttpRequest, who: { actor?: string }): Promise<HttpReply> => {
      try {
        const actor = await o.auth.actor(req);
        who.actor = actor.id;
        if (method !== 'get') {
          const key = req.header('idempotency-key');
          if (key !== undefined) {
            if (!IDEMPOTENCY_KEY.test(key))
              throw new ProtocolError(
                ErrorCode.InvalidField,
                'Idempotency-Key must be 1-64 of A-Z a-z 0-9 _ -',
              );
            if (
              !(await o.store.moderation.claimRequest(`${actor.id}:${key}`, IDEMPOTENCY_TTL_MS))
            ) {
              return jsonError(
                409,
                'duplicate_request',
                'this Idempotency-Key was already used: the action was not repeated',
              );
            }
          }
        }
        return await handler(req, actor);
      } catch (error) {
        return httpError(error);
      }
    };
    return {
      method,
      pattern: `/admin/v1${path}`,
      maxBodyBytes: 16 * 1024,
      // Every request gets an id (the caller's X-Request-Id when sane), echoed and logged.
      handler: async (req) => {
        const id = requestId(req.header('x-request-id'));
        const started = performance.now();
        const span = o.tracing?.admin(
          req.method,
          `/admin/v1${path}`,
          id,
          req.header('traceparent'),
        );
        const who: { actor?: string } = {};
        const reply = await handle(req, who);
        reply.headers = { ...reply.headers, 'x-request-id': id };
        span?.end(reply.status);
        o.log.info('admin request', {
          requestId: id,
          method: req.method,
          path: req.path,
          status: reply.status,
          ...(who.actor !== undefined ? { actor: who.actor } : {}),
          ms: Math.round((performance.now() - started) * 10) / 10,
        });
        return reply;
      },
    };
  };
  const chat = (bytes: Uint8Array): ChatEvent => EncodedEvent.fromMsgpack<ChatEvent>(bytes).event;

  return [
    route('del', '/streams/:stream/messages/:id', async (req, actor) => {
      const stream = streamParam(req);
      const { id } = action('delete', { id: req.params.id });
      const reason = req.query.get('reason') ?? undefined;
      await service.deleteMessage(actor, stream, id, reason);
      return json(200, { deleted: id });
    }),
    route('post', '/streams/:stream/clear', async (req, actor) => {
      const a = action('clear', body(req));
      await service.clear(actor, streamParam(req), a.reason);
      return json(200, { cleared: true });
    }),
    route('put', '/streams/:stream/pin', async (req, actor) => {
      const { messageId, ...rest } = body(req);
      if (Object.keys(rest).length > 0)
        throw new ProtocolError(ErrorCode.InvalidField, `unknown field "${Object.keys(rest)[0]}"`);
      const a = action('pin', { id: messageId });
      return json(200, { pinned: await service.pin(actor, streamParam(req), a.id) });
    }),
    route('del', '/streams/:stream/pin', async (req, actor) => {
      await service.unpin(actor, streamParam(req));
      return json(200, { pinned: null });
    }),
    route('post', '/streams/:stream/announcements', async (req, actor) => {
      const a = action('announce', body(req));
      return json(201, { announcement: await service.announce(actor, streamParam(req), a.text) });
    }),
    route('post', '/streams/:stream/timeouts', async (req, actor) => {
      const a = action('timeout', body(req));
      return json(201, {
        ban: await service.ban(actor, streamParam(req), a.userId, a.reason, a.seconds),
      });
    }),
    route('post', '/streams/:stream/bans', async (req, actor) =>
      json(201, { ban: await banFrom(actor, streamParam(req), body(req)) }),
    ),
    route('get', '/streams/:stream/bans', async (req, actor) =>
      json(200, { bans: await service.listBans(actor, streamParam(req)) }),
    ),
    route('del', '/streams/:stream/bans/:userId', async (req, actor) => {
      const { userId } = action('unban', { userId: req.params.userId });
      await service.unban(actor, streamParam(req), userId);
      return json(200, { unbanned: userId });
    }),
    route('post', '/bans', async (req, actor) =>
      json(201, { ban: await banFrom(actor, GLOBAL_SCOPE, body(req)) }),
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
      json(200, { settings: await service.settings(actor, streamParam(req)) }),
    ),
    route('patch', '/streams/:stream/settings', async (req, actor) => {
      const patch = parseSettingsPatch(body(req));
      return json(200, { settings: await service.updateSettings(actor, streamParam(req), patch) });
    }),
    route('get', '/streams/:stream/stats', async (req, actor) => {
      const stream = streamParam(req);
      const stats = await service.stats(actor, stream);
      // Asked after the service checked the actor's right, so a 404 tells outsiders nothing.
      const known =
        o.registry.get(stream) !== undefined || (await o.store.stats.totals(stream)) !== undefined;
      if (!known) throw new RoarError(ErrorCode.NotFound, `no stream ${stream} has been seen`);
      return json(200, stats);
    }),
    route('get', '/streams/:stream/audit', async (req, actor) => {
      const { limit, before } = limitParam(req);
      return json(200, { entries: await service.audit(actor, streamParam(req), limit, before) });
    }),
    route('get', '/audit', async (req, actor) => {
      const { limit, before } = limitParam(req);
      return json(200, { entries: await service.audit(actor, GLOBAL_SCOPE, limit, before) });
    }),
    route('get', '/streams/:stream/held', async (req, actor) => {
      const held = await service.held(actor, streamParam(req));
      return json(200, {
        held: held.map((h) => ({ id: h.id, at: h.at, reason: h.reason, message: chat(h.bytes) })),
      });
    }),
    route('post', '/streams/:stream/held/:id/approve', async (req, actor) => {
      const { id } = action('approve', { ...body(req), id: req.params.id });
      return json(200, { approved: await service.approve(actor, streamParam(req), id) });
    }),
    route('post', '/streams/:stream/held/:id/deny', async (req, actor) => {
      const a = action('deny', { ...body(req), id: req.params.id });
      await service.deny(actor, streamParam(req), a.id, a.reason);
      return json(200, { denied: a.id });
    }),
    route('get', '/degradation', async () => json(200, o.level())),
    route('put', '/degradation', async (req, actor) => {
      const { level, ...rest } = body(req);
      if (Object.keys(rest).length > 0)
        throw new ProtocolError(ErrorCode.InvalidField, `unknown field "${Object.keys(rest)[0]}"`);
      if (
        level !== null &&
        (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 5)
      ) {
        throw new ProtocolError(
          ErrorCode.InvalidField,
          'level must be an integer from 0 to 5, or null to unpin',
        );
      }
      await service.setLevel(actor, level);
      return json(200, { pinned: level });
    }),
  ];

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
