import { isStreamId, viewersText, type ViewerCount } from '@roar/protocol';
import type { Store } from '@roar/store';
import { createHash } from 'node:crypto';
import { json, jsonError, type HttpHandler } from '../base/http.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { StreamRegistry } from '../streams/stream-registry.js';

interface Cached {
  at: number;
  value: Promise<ViewerCount | undefined>;
}

/**
 * `GET /v1/streams/{id}/viewers`: the same count viewers are pushed, as cacheable JSON with an
 * ETag, so a CDN can carry the overlay. Streams this gateway holds are answered from memory;
 * others from the store, one read per stream per max-age however many requests arrive at once.
 */
export function viewersEndpoint(
  registry: StreamRegistry,
  store: Store,
  metrics: GatewayMetrics,
  maxAgeS: number,
  now: () => number,
): HttpHandler {
  const cache = new Map<string, Cached>();
  const ttlMs = Math.max(1000, maxAgeS * 1000);

  const lookup = (stream: string): Promise<ViewerCount | undefined> => {
    const held = registry.get(stream);
    if (held) return Promise.resolve(held.viewerCount());
    const t = now();
    const hit = cache.get(stream);
    if (hit && t - hit.at < ttlMs) return hit.value;
    if (cache.size > 10_000) cache.clear();
    const value = store.stats.totals(stream).catch((error: unknown) => {
      metrics.storeReadFailures.inc();
      throw error;
    });
    cache.set(stream, { at: t, value });
    return value;
  };

  return async (req) => {
    const stream = req.params.id ?? '';
    if (!isStreamId(stream)) {
      return jsonError(400, 'invalid_stream', 'stream must be 1-64 characters of A-Z a-z 0-9 _ -');
    }
    let count: ViewerCount | undefined;
    try {
      count = await lookup(stream);
    } catch {
      return jsonError(503, 'unavailable', 'the count is briefly unavailable', {
        'retry-after': '1',
      });
    }
    const body = { stream, ...(count ?? { total: 0, text: viewersText(0) }) };
    const text = JSON.stringify(body);
    const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 16)}"`;
    const headers = {
      'cache-control': `public, max-age=${maxAgeS}`,
      etag,
      'access-control-allow-origin': '*',
    };
    if (req.header('if-none-match') === etag) return { status: 304, headers };
    return json(200, body, headers);
  };
}
