import { ErrorCode, RoarError, SCOPED_ROLES, type RoleName } from '@roar/protocol';
import type { Identity } from '../base/identity.js';
import { Batcher } from './batcher.js';
import { DecisionCache, type Timed } from './decision-cache.js';
import type { HookClient } from './hook-client.js';
import type { HookMetrics } from './hook-metrics.js';
import type { FailMode } from '../base/hooks-config.js';
import { ttlMs, type TtlLimits } from './ttl.js';

/** May this viewer be in this stream, with which extra roles, until when. */
export interface JoinDecision {
  allow: boolean;
  /** Roles for this stream only (`subscriber:<stream>`...), added to the viewer's identity. */
  roles: string[];
  /** Epoch ms when the right ends (a pass running out): the viewer is then removed. */
  expiresAt: number | undefined;
  /** Shown to a refused viewer. */
  reason: string;
  /**
   * The app marked the stream open to everyone (`"public": true`): its replay may be kept by
   * shared caches (a CDN). Otherwise, with the join hook on, replay is cached privately only.
   */
  public: boolean;
}

/** One check in a join hook request. */
export interface JoinCheck {
  stream: string;
  user: string | null;
  key: string;
  name: string;
  roles: readonly string[];
}

export interface JoinHookOptions {
  client: HookClient;
  fail: FailMode;
  metrics: HookMetrics;
  ttl: TtlLimits;
  cacheMax: number;
  batchMs: number;
  batchMax: number;
  now: () => number;
}

const ALLOW_OPEN: JoinDecision = {
  allow: true,
  roles: [],
  expiresAt: undefined,
  reason: '',
  public: false,
};

/**
 * The join hook: whether a viewer may watch and chat in a stream (subscriber-only, paid, region
 * rights), decided by the app. A million joins at the toss cost far fewer requests: decisions
 * are cached per (viewer, stream) for the TTL the app returns, identical concurrent checks share
 * one, and the rest are batched — one POST `{"checks": [...]}` per `batchMs` or per `batchMax`
 * checks, answered `{"results": [{"allow", "roles"?, "ttlS"?, "expiresAt"?, "reason"?}, ...]}` in
 * the same order (`"public": true` lets shared caches keep the stream's replay). A check that fails (timeout, breaker open, malformed answer) follows the fail
 * mode: open allows the join (uncached), closed refuses it with `unavailable`.
 */
export class JoinHook {
  readonly #o: JoinHookOptions;
  readonly #cache: DecisionCache<JoinDecision>;
  readonly #batcher: Batcher<JoinCheck, Timed<JoinDecision>>;

  constructor(options: JoinHookOptions) {
    this.#o = options;
    this.#cache = new DecisionCache(options.cacheMax, options.now);
    this.#batcher = new Batcher({
      windowMs: options.batchMs,
      maxItems: options.batchMax,
      send: (checks) => {
        options.metrics.batchSize.observe(checks.length);
        return options.client.call({ checks }, (answer) =>
          parseResults(answer, checks, options.ttl),
        );
      },
    });
  }

  /**
   * The decision for `identity` in `stream`: synchronous from the cache, else a promise. Throws
   * (or rejects with) `RoarError` `unavailable` when the hook failed and fails closed; a denial
   * is a decision (`allow: false`), for the caller to answer with `join_denied`.
   */
  decide(identity: Identity, stream: string): JoinDecision | Promise<JoinDecision> {
    const { metrics } = this.#o;
    const check: JoinCheck = {
      stream,
      user: identity.anonymous ? null : (identity.userId ?? null),
      key: identity.key,
      name: identity.name,
      roles: identity.roles,
    };
    const decided = this.#cache.get(
      `${identity.key}\n${stream}`,
      () => this.#batcher.add(check),
      (source) => metrics.decisions.inc({ hook: 'join', source }),
    );
    if (!(decided instanceof Promise)) return decided;
    return decided.catch((cause: unknown) => {
      metrics.decisions.inc({ hook: 'join', source: `fail_${this.#o.fail}` });
      if (this.#o.fail === 'open') return ALLOW_OPEN;
      throw new RoarError(
        ErrorCode.Unavailable,
        'cannot check access to this stream now; try again',
        {
          cause,
          retryAfterMs: 1000,
        },
      );
    });
  }
}

/** The error a refused join is answered with. */
export function joinDenied(stream: string, decision: Pick<JoinDecision, 'reason'>): RoarError {
  return new RoarError(ErrorCode.JoinDenied, decision.reason || `not allowed to join ${stream}`);
}

/** The identity with the join decision's roles for `stream` added. */
export function withStreamRoles(identity: Identity, decision: JoinDecision): Identity {
  const added = decision.roles.filter((r) => !identity.roles.includes(r));
  return added.length === 0 ? identity : { ...identity, roles: [...identity.roles, ...added] };
}

function parseResults(
  answer: unknown,
  checks: JoinCheck[],
  limits: TtlLimits,
): Timed<JoinDecision>[] {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== checks.length) {
    throw new Error(`results must be an array of ${checks.length}`);
  }
  return results.map((result: unknown, i) =>
    parseResult(result, (checks[i] as JoinCheck).stream, limits),
  );
}

function parseResult(result: unknown, stream: string, limits: TtlLimits): Timed<JoinDecision> {
  if (typeof result !== 'object' || result === null) throw new Error('a result is not an object');
  const { allow, roles, ttlS, expiresAt, reason, public: open } = result as Record<string, unknown>;
  if (typeof allow !== 'boolean') throw new Error('allow must be true or false');
  if (open !== undefined && typeof open !== 'boolean') throw new Error('public must be a boolean');
  if (roles !== undefined && !Array.isArray(roles)) throw new Error('roles must be an array');
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    throw new Error('expiresAt must be epoch milliseconds');
  }
  // Only stream-scoped roles, and only for this stream: a join hook never makes an admin.
  const scoped = (roles ?? [])
    .filter((r): r is RoleName => SCOPED_ROLES.includes(r as RoleName))
    .map((r) => `${r}:${stream}`);
  const decision: JoinDecision = {
    allow,
    roles: allow ? scoped : [],
    expiresAt: allow ? expiresAt : undefined,
    reason: typeof reason === 'string' ? reason.slice(0, 200) : '',
    public: allow && open === true,
  };
  if (decision.expiresAt !== undefined && decision.expiresAt <= limits.now()) {
    decision.allow = false;
    decision.reason ||= 'access to this stream has expired';
  }
  return { value: decision, ttlMs: ttlMs(ttlS, decision.expiresAt, limits) };
}
