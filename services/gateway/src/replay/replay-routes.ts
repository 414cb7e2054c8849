import { isStreamId } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { json, jsonError, type HttpReply, type HttpRequest, type Route } from '../base/http.js';
import type { LogEvent } from '@roar/log';
import { REPLAY_BUCKET_MS, type Bucket, type BucketCache } from './buckets.js';
import type { RemovalIndex } from './removals.js';
import { GATED_VARY, type ReplayAccess, type ReplayGrant } from './replay-access.js';

/** The longest window one request may ask for. */
export const MAX_WINDOW_MS = 5 * 60_000;
/** How long a window (or a bucket asked for by an old version) may be cached: deletions show. */
const WINDOW_MAX_AGE_S = 5;
const HOT_MAX_AGE_S = 1;
/** A final bucket at its current version never changes: a CDN keeps it. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const MS = /^(0|[1-9][0-9]{0,14})$/;
/**
 * Any page may fetch them (players on other origins); with the join hook on they carry the
 * viewer's `Authorization`, which a cross-origin page may send after a preflight.
 */
const PUBLIC_READ = { 'access-control-allow-origin': '*' };

export interface ReplayRoutesOptions {
  buckets: BucketCache;
  removals: RemovalIndex;
  log: Logger;
  /** The join hook's gate (when it is on): who may replay which stream, and how it is cached. */
  access: ReplayAccess | undefined;
}

/** Ungated (no join hook): every stream is public. */
const OPEN: ReplayGrant = { shared: true };

/** A shared-cache policy made private for a stream the app did not mark public. */
function cacheFor(grant: ReplayGrant, policy: string, gated: boolean): Record<string, string> {
  if (grant.shared)
    return gated ? { 'cache-control': policy, vary: GATED_VARY } : { 'cache-control': policy };
  return { 'cache-control': policy.replace(/^public/, 'private'), vary: GATED_VARY };
}

/**
 * `GET /v1/streams/:id/replay?from&to`: a window's events, deletions applied, with the versioned
 * URL of each bucket it spans; `GET /v1/streams/:id/replay/buckets/:from?v=`: one bucket, cached
 * for good by a CDN once final and asked for at its current version. docs/openapi.yaml and
 * docs/protocol.md ("Replay") describe both. Both fail closed: when the log (or the removals) can
 * not be read, 503 rather than a replay that might show deleted messages.
 */
export function replayRoutes(o: ReplayRoutesOptions): Route[] {
  const bucket = (stream: string, from: number): Promise<Bucket> =>
    o.buckets.get(stream, from, o.removals.get(stream));
  // A hot bucket's reply is encoded once per content, not once per viewer: the same read (its
  // `raw` array), version and finality give the same bytes.
  const bodies = new WeakMap<readonly LogEvent[], Map<string, string>>();
  const encoded = (stream: string, b: Bucket): string => {
    let byVersion = bodies.get(b.raw);
    if (!byVersion) bodies.set(b.raw, (byVersion = new Map()));
    const key = `${b.version} ${b.final}`;
    let body = byVersion.get(key);
    if (body === undefined) {
      const { from, to, final, version, events } = b;
      body = JSON.stringify({ stream, from, to, final, version, events });
      byVersion.set(key, body);
    }
    return body;
  };
  const gate = async (req: HttpRequest, stream: string): Promise<ReplayGrant | HttpReply> =>
    o.access ? o.access.check(req, stream) : OPEN;
  const isReply = (g: ReplayGrant | HttpReply): g is HttpReply => 'status' in g;
  const unavailable = (error: unknown): HttpReply => {
    o.log.warn('replay read failed', { error });
    return jsonError(503, 'unavailable', 'replay is briefly unavailable', { 'retry-after': '1' });
  };

  return [
    {
      method: 'get',
      pattern: '/v1/streams/:id/replay',
      handler: async (req) => {
        const stream = req.params.id ?? '';
        const bad = checkQuery(req, ['from', 'to', 'events']);
        if (bad) return bad;
        if (!isStreamId(stream)) return invalidStream();
        const from = ms(req.query.get('from'));
        const to = ms(req.query.get('to'));
        if (from === undefined || to === undefined || to <= from || to - from > MAX_WINDOW_MS) {
          return jsonError(
            400,
            'invalid_field',
            `from and to are ms since the epoch, from < to, at most ${MAX_WINDOW_MS} ms apart`,
          );
        }
        // The cheap checks first; the join hook only for a well-formed request.
        const grant = await gate(req, stream);
        if (isReply(grant)) return grant;
        const withEvents = req.query.get('events') !== '0';
        const starts: number[] = [];
        for (let b = floorBucket(from); b < to; b += REPLAY_BUCKET_MS) starts.push(b);
        let buckets: Bucket[];
        try {
          buckets = await Promise.all(starts.map((b) => bucket(stream, b)));
        } catch (error) {
          return unavailable(error);
        }
        const events = withEvents
          ? buckets.flatMap((b) => b.events.filter((e) => e.ts >= from && e.ts < to))
          : undefined;
        const allFinal = buckets.every((b) => b.final);
        return json(
          200,
          {
            stream,
            from,
            to,
            bucketMs: REPLAY_BUCKET_MS,
            buckets: buckets.map((b) => ({
              from: b.from,
              to: b.to,
              final: b.final,
              version: b.version,
              url: bucketUrl(stream, b),
            })),
            ...(events ? { events } : {}),
          },
          {
            ...cacheFor(
              grant,
              `public, max-age=${allFinal ? WINDOW_MAX_AGE_S : HOT_MAX_AGE_S}`,
              o.access !== undefined,
            ),
            ...PUBLIC_READ,
          },
        );
      },
    },
    {
      method: 'get',
      pattern: '/v1/streams/:id/replay/buckets/:from',
      handler: async (req) => {
        const stream = req.params.id ?? '';
        const bad = checkQuery(req, ['v']);
        if (bad) return bad;
        if (!isStreamId(stream)) return invalidStream();
        const from = ms(req.params.from);
        const asked = req.query.get('v');
        if (from === undefined || from % REPLAY_BUCKET_MS !== 0)
          return jsonError(400, 'invalid_field', `from must be a multiple of ${REPLAY_BUCKET_MS}`);
        if (asked !== null && ms(asked) === undefined)
          return jsonError(400, 'invalid_field', 'v must be a version number');
        const grant = await gate(req, stream);
        if (isReply(grant)) return grant;
        let b: Bucket;
        try {
          b = await bucket(stream, from);
        } catch (error) {
          return unavailable(error);
        }
        const cache = !b.final
          ? `public, max-age=${HOT_MAX_AGE_S}`
          : asked === String(b.version)
            ? IMMUTABLE
            : `public, max-age=${WINDOW_MAX_AGE_S}`;
        return {
          status: 200,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            ...cacheFor(grant, cache, o.access !== undefined),
            ...PUBLIC_READ,
          },
          body: encoded(stream, b),
        };
      },
    },
    // The CORS preflight of a cross-origin request that carries the viewer's Authorization.
    ...['/v1/streams/:id/replay', '/v1/streams/:id/replay/buckets/:from'].map((pattern): Route => ({
      method: 'options',
      pattern,
      handler: () => PREFLIGHT,
    })),
  ];
}

const PREFLIGHT: HttpReply = {
  status: 204,
  headers: {
    ...PUBLIC_READ,
    allow: 'GET, OPTIONS',
    'access-control-allow-methods': 'GET, OPTIONS',
    'access-control-allow-headers': 'authorization',
    'access-control-max-age': '600',
  },
};

function bucketUrl(stream: string, b: Bucket): string {
  return `/v1/streams/${stream}/replay/buckets/${b.from}?v=${b.version}`;
}

function floorBucket(t: number): number {
  return t - (t % REPLAY_BUCKET_MS);
}

function ms(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !MS.test(value)) return undefined;
  return Number(value);
}

function invalidStream(): HttpReply {
  return jsonError(400, 'invalid_stream', 'stream must be 1-64 characters of A-Z a-z 0-9 _ -');
}

/** Only the documented query parameters, each at most once (as the admin API enforces). */
function checkQuery(req: HttpRequest, allowed: string[]): HttpReply | undefined {
  const seen = new Set<string>();
  for (const name of req.query.keys()) {
    if (!allowed.includes(name) || seen.has(name))
      return jsonError(400, 'invalid_field', `unexpected or repeated query parameter "${name}"`);
    seen.add(name);
  }
  return undefined;
}
