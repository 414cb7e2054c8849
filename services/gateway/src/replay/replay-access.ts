import { ErrorCode, RoarError } from '@roar/protocol';
import { AuthError, authorizationCredentials, type Authenticator } from '../base/auth.js';
import { jsonError, type HttpReply, type HttpRequest } from '../base/http.js';
import type { Identity } from '../base/identity.js';
import { joinDenied, type ConnectHook, type JoinHook } from '../hooks/index.js';

export interface ReplayAccessOptions {
  join: JoinHook;
  /** The app's sessions (cookie or its own bearer token), when the connect hook is on. */
  connect: ConnectHook | undefined;
  auth: Authenticator;
  /** A Roar JWT key is configured: a bearer token is verified as one, not sent to the app. */
  jwt: boolean;
  allowAnonymous: boolean;
}

/** What a replay request may see: `shared` when the app marked the stream public. */
export interface ReplayGrant {
  shared: boolean;
}

/**
 * Every anonymous reader asks the join hook as one viewer (no user, this key): one decision per
 * stream for all of them, cached and batched like any join.
 */
const ANONYMOUS: Identity = {
  key: 'anonymous',
  userId: undefined,
  name: 'anonymous',
  roles: [],
  anonymous: true,
};

/** Sent with every gated reply: caches keep one copy per credential. */
export const GATED_VARY = 'authorization, cookie';

/**
 * Replay behind the join hook: a replay request is a join of the stream, answered by the same
 * `JoinHook` (its cache, coalescing and batching shared with WebSocket joins). The reader is who
 * its credentials say, as a WebSocket connection would be: `Authorization: Bearer <Roar JWT>`,
 * else the app's session through the connect hook (Cookie or the app's own Authorization), else
 * anonymous when `ROAR_ALLOW_ANONYMOUS` allows. A denial is 403 `join_denied`; a hook that cannot
 * answer and fails closed is 503 `unavailable` (fail open lets the request through, privately
 * cached). Only a stream the hook marks `public` is served with shared-cache (CDN) headers.
 */
export class ReplayAccess {
  readonly #o: ReplayAccessOptions;

  constructor(options: ReplayAccessOptions) {
    this.#o = options;
  }

  async check(req: HttpRequest, stream: string): Promise<ReplayGrant | HttpReply> {
    try {
      const identity = await this.#identify(req);
      const decision = await this.#o.join.decide(identity, stream);
      if (!decision.allow) return refused(403, joinDenied(stream, decision));
      return { shared: decision.public };
    } catch (error) {
      if (!(error instanceof RoarError)) throw error;
      // A hook that cannot answer (fail closed) is a moment's outage; anything else is the
      // reader's credentials.
      if (error.code === ErrorCode.Unavailable) return refused(503, error, { 'retry-after': '1' });
      return refused(401, error);
    }
  }

  async #identify(req: HttpRequest): Promise<Identity> {
    const { auth, connect, jwt, allowAnonymous } = this.#o;
    const authorization = req.header('authorization') || undefined;
    const cookie = req.header('cookie') || undefined;
    const credentials = authorizationCredentials(authorization);
    const bearer = credentials?.scheme === 'bearer' ? credentials.value : undefined;
    if (bearer !== undefined && (jwt || !connect)) {
      if (!bearer)
        throw new AuthError(ErrorCode.TokenInvalid, 'the Bearer scheme came without a token');
      return auth.verify(bearer);
    }
    if (connect && (cookie || authorization))
      return connect.signIn({ cookie, authorization }, req.ip, ANONYMOUS, allowAnonymous);
    if (allowAnonymous) return ANONYMOUS;
    throw new RoarError(ErrorCode.Unauthenticated, 'this stream needs a token to replay');
  }
}

function refused(
  status: number,
  error: RoarError,
  headers: Record<string, string> = {},
): HttpReply {
  return jsonError(status, error.code, error.message, {
    'cache-control': 'no-store',
    vary: GATED_VARY,
    'access-control-allow-origin': '*',
    ...headers,
  });
}
