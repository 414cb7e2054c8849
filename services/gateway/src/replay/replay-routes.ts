import { isStreamId } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { json, jsonError, type HttpReply, type HttpRequest, type Route } from '../base/http.js';
import type { LogEvent } from '@roar/log';
import { REPLAY_BUCKET_MS, type Bucket, type BucketCache } from './buckets.js';
import type { RemovalIndex } from './removals.js';

/** The longest window one request may ask for. */
export const MAX_WINDOW_MS = 5 * 60_000;
/** How long a window (or a bucket asked for by an old version) may be cached: deletions show. */
const WINDOW_MAX_AGE_S = 5;
const HOT_MAX_AGE_S = 1;
/** A final bucket at its current version never changes: a CDN keeps it. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const MS = /^(0|[1-9][0-9]{0,14})$/;
/** Public, credential-free reads: any page may fetch them (players on other origins). */
const PUBLIC_READ = { 'access-control-allow-origin': '*' };

export interface ReplayRoutesOptions {
  buckets: BucketCache;
  removals: RemovalIndex;
  log: Logger;
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
            'cache-control': `public, max-age=${allFinal ? WINDOW_MAX_AGE_S : HOT_MAX_AGE_S}`,
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
            'cache-control': cache,
            ...PUBLIC_READ,
          },
          body: encoded(stream, b),
        };
      },
    },
  ];
}

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
