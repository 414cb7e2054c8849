import { createHash } from 'node:crypto';
import { ErrorCode } from '@roar/protocol';
import { AuthError, identityFromClaims } from '../base/auth.js';
import type { Identity, SessionCredentials } from '../base/identity.js';
import { DecisionCache } from './decision-cache.js';
import type { HookClient } from './hook-client.js';
import type { HookMetrics } from './hook-metrics.js';
import type { FailMode } from '../base/hooks-config.js';
import { ttlMs, type TtlLimits } from './ttl.js';

export interface ConnectHookOptions {
  client: HookClient;
  fail: FailMode;
  metrics: HookMetrics;
  ttl: TtlLimits;
  cacheMax: number;
  now: () => number;
}

/**
 * The connect hook: who is on a connection, from the app's own session (cookie or Authorization
 * header) rather than a Roar JWT. POSTs `{cookie, authorization, ip}`; the app answers
 * `{"user": {"id", "name"?, "roles"?} | null, "ttlS"?}`. Answers are cached per credentials (a
 * digest, never the cookie itself) for their TTL, and identical concurrent sign-ins (the same
 * viewer's tabs, a reconnect herd) share one request. `null` means "not signed in": anonymous.
 */
export class ConnectHook {
  readonly #o: ConnectHookOptions;
  readonly #cache: DecisionCache<Identity | null>;

  constructor(options: ConnectHookOptions) {
    this.#o = options;
    this.#cache = new DecisionCache(options.cacheMax, options.now);
  }

  /**
   * The identity the app gives these credentials, or null for an anonymous viewer. Rejects with
   * `AuthError` `unavailable` when the hook failed and fails closed (fail-open: anonymous).
   */
  async identify(credentials: SessionCredentials, ip: string): Promise<Identity | null> {
    const key = createHash('sha256')
      .update(`${credentials.cookie ?? ''}\0${credentials.authorization ?? ''}`)
      .digest('base64url');
    const { metrics } = this.#o;
    try {
      return await this.#cache.get(
        key,
        () =>
          this.#o.client.call({ ...credentials, ip }, (answer) =>
            parseConnectAnswer(answer, this.#o.ttl),
          ),
        (source) => metrics.decisions.inc({ hook: 'connect', source }),
      );
    } catch (cause) {
      metrics.decisions.inc({ hook: 'connect', source: `fail_${this.#o.fail}` });
      if (this.#o.fail === 'open') return null;
      throw new AuthError(ErrorCode.Unavailable, 'sign-in is unavailable for a moment; try again', {
        cause,
      });
    }
  }

  /**
   * The identity a connection takes: the app's user, or `anonymous` (the connection's
   * placeholder) when the app says nobody is signed in and anonymous viewers are allowed; rejects
   * with `AuthError` (`unauthenticated`, or `unavailable` from `identify`) otherwise.
   */
  async signIn(
    credentials: SessionCredentials,
    ip: string,
    anonymous: Identity,
    allowAnonymous: boolean,
  ): Promise<Identity> {
    const identity = await this.identify(credentials, ip);
    if (identity) return identity;
    if (allowAnonymous) return anonymous;
    throw new AuthError(ErrorCode.Unauthenticated, 'not signed in to the app');
  }
}

function parseConnectAnswer(
  answer: unknown,
  limits: TtlLimits,
): { value: Identity | null; ttlMs: number } {
  if (typeof answer !== 'object' || answer === null) throw new Error('not an object');
  const { user, ttlS } = answer as { user?: unknown; ttlS?: unknown };
  if (user === null) return { value: null, ttlMs: ttlMs(ttlS, undefined, limits) };
  if (typeof user !== 'object' || user === undefined)
    throw new Error('user must be an object or null');
  const { id, name, roles } = user as { id?: unknown; name?: unknown; roles?: unknown };
  // The same checks as a token's claims: an id of printable ASCII, a clean name, known roles.
  const identity = identityFromClaims({ sub: id as string, name, roles });
  return { value: identity, ttlMs: ttlMs(ttlS, undefined, limits) };
}
