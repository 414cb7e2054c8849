import { ErrorCode, RoarError } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import {
  json,
  jsonError,
  type HttpMethod,
  type HttpReply,
  type HttpRequest,
  type Route,
} from '../base/http.js';
import { corsHeaders, type AllowedOrigins } from '../base/origins.js';
import { requestId } from '../base/request-id.js';
import type { Tracing } from '../base/tracing.js';
import type { Actor } from './actor.js';
import type { AdminSpec } from './admin-spec.js';
import type { AdminAuth } from './authz.js';

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
  [ErrorCode.VersionConflict]: 409,
  [ErrorCode.StateTooManyKeys]: 409,
  [ErrorCode.StateValueTooLarge]: 413,
  // Polls
  [ErrorCode.PollOpen]: 409,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** The HTTP status of an error: its code decides; anything unexpected is a 500. */
export function httpError(error: unknown): HttpReply {
  if (error instanceof RoarError && error.version !== undefined) {
    // A conflict says the version the caller must read again from.
    const { code, message, version } = error;
    return json(STATUS[code] ?? 400, { error: { code, message, version } });
  }
  if (error instanceof RoarError)
    return jsonError(STATUS[error.code] ?? 400, error.code, error.message);
  return jsonError(500, ErrorCode.Internal, 'internal error');
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** A request that passed the OpenAPI document's checks: what handlers read. */
export interface AdminRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The `Idempotency-Key`, for a route that answers retries itself (`ownIdempotency`). */
  idempotencyKey?: string;
}

export interface RouteOptions {
  /**
   * The handler makes retries idempotent itself, answering one with the first attempt's result
   * (live state): the router passes the `Idempotency-Key` on instead of claiming it.
   */
  ownIdempotency?: boolean;
}

export type AdminHandler = (req: AdminRequest, actor: Actor) => Promise<HttpReply>;

/** `AdminRouter.route`, as handed to a route module of a stream feature (see `StreamFeature.routes`). */
export type AdminRoute = (
  method: HttpMethod,
  path: string,
  handler: AdminHandler,
  options?: RouteOptions,
) => Route;

// What a moderator tool on another origin may send: credentials, JSON, idempotency, and the
// request-id and trace headers operators correlate logs with.
const ALLOWED_HEADERS =
  'authorization, content-type, idempotency-key, x-api-key, x-request-id, traceparent';

/** What every admin route needs: a slice of `AdminApiOptions`. */
export interface AdminRouterOptions {
  auth: AdminAuth;
  store: Store;
  /** docs/openapi.yaml, compiled: every request is checked against its operation. */
  spec: AdminSpec;
  /** Browser origins the API answers with CORS (`ROAR_ALLOWED_ORIGINS`). */
  allowedOrigins: AllowedOrigins;
  /** One line per request, with its request id (docs/operations.md). */
  log: Logger;
  /** A span per request; undefined when tracing is off. */
  tracing?: Tracing | undefined;
}

/**
 * Builds the admin API's routes: each authenticates first (401), then checks the request against
 * the document's operation (400, or 415 for a body that is not JSON), claims an
 * `Idempotency-Key` for mutations (released if the action fails), and answers errors as
 * `{"error": {"code", "message"}}`, with a request id, CORS headers and one log line.
 */
export class AdminRouter {
  readonly #o: AdminRouterOptions;
  /** The methods of each pattern, for the preflight's `Allow`. */
  readonly #methods = new Map<string, Set<string>>();

  constructor(options: AdminRouterOptions) {
    this.#o = options;
  }

  route(
    method: HttpMethod,
    path: string,
    handler: AdminHandler,
    options: RouteOptions = {},
  ): Route {
    const o = this.#o;
    const pattern = `/admin/v1${path}`;
    const op = o.spec.operation(method, pattern);
    const verbs = this.#methods.get(pattern) ?? new Set(['OPTIONS']);
    verbs.add(op.method.toUpperCase());
    if (op.method === 'get') verbs.add('HEAD');
    this.#methods.set(pattern, verbs);
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
        if (op.method !== 'get' && key !== undefined && !options.ownIdempotency) {
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
        const request: AdminRequest = {
          params: params as Record<string, string>,
          query,
          body: body ?? {},
        };
        if (options.ownIdempotency && key !== undefined) request.idempotencyKey = key;
        const reply = await handler(request, actor).catch(httpError);
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
  }

  /** `OPTIONS /admin/v1/*`: the CORS preflight, answered from the allowlist. */
  preflight(): Route {
    return {
      method: 'options',
      pattern: '/admin/v1/*',
      handler: (req) => {
        const origin = req.header('origin');
        const cors = corsHeaders(this.#o.allowedOrigins, origin, req.header('host'));
        const allow = this.#allowedMethods(req.path);
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

  #allowedMethods(path: string): string | undefined {
    for (const [pattern, verbs] of this.#methods) {
      const re = new RegExp(`^${pattern.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
      if (re.test(path)) return [...verbs].join(', ');
    }
    return undefined;
  }
}
