import type { Store } from '@roar/store';
import { metricsAllowed } from './base/metrics-auth.js';
import type { GatewayConfig } from './base/config.js';
import { jsonError, type HttpHandler, type Route } from './base/http.js';
import type { GatewayMetrics } from './base/metrics.js';
import type { StreamRegistry } from './streams/stream-registry.js';
import { viewersEndpoint } from './counts/viewers-endpoint.js';

export interface HttpRoutesOptions {
  registry: StreamRegistry;
  store: Store;
  metrics: GatewayMetrics;
  config: Pick<GatewayConfig, 'metricsToken' | 'viewersMaxAgeS'>;
  now: () => number;
  /** True while the gateway should receive new viewers. */
  ready: () => boolean;
  /** Metrics of every worker of this process, when there are several. */
  clusterMetrics?: () => Promise<{ text: string; contentType: string }>;
}

/** The gateway's HTTP surface besides the WebSocket: health, metrics, counts, the demo page. */
export function httpRoutes(o: HttpRoutesOptions): Route[] {
  return [
    { method: 'get', pattern: '/healthz', handler: () => ({ status: 200, body: 'ok' }) },
    {
      method: 'get',
      pattern: '/readyz',
      handler: () =>
        o.ready() ? { status: 200, body: 'ready' } : { status: 503, body: 'not ready' },
    },
    {
      method: 'get',
      pattern: '/metrics',
      handler: async (req) => {
        if (!metricsAllowed(o.config.metricsToken, req.header('authorization'))) {
          return jsonError(
            401,
            'unauthenticated',
            'GET /metrics needs Authorization: Bearer <ROAR_METRICS_TOKEN>',
            {
              'www-authenticate': 'Bearer realm="metrics"',
            },
          );
        }
        if (o.clusterMetrics) {
          const { text, contentType } = await o.clusterMetrics();
          return { status: 200, headers: { 'content-type': contentType }, body: text };
        }
        return {
          status: 200,
          headers: { 'content-type': o.metrics.registry.contentType },
          body: await o.metrics.registry.metrics(),
        };
      },
    },
    {
      method: 'get',
      pattern: '/v1/streams/:id/viewers',
      handler: viewersEndpoint(o.registry, o.store, o.metrics, o.config.viewersMaxAgeS, o.now),
    },
  ];
}

/** The demo app and the overlay, built into `public/`. */
export const PUBLIC = new URL('../public/', import.meta.url);

/**
 * Registered after every other route: GETs of files in `public/`, 404 for anything else.
 */
export function fallbackRoutes(files: HttpHandler): Route[] {
  return [
    { method: 'get', pattern: '/*', handler: files },
    {
      method: 'any',
      pattern: '/*',
      handler: (req) =>
        jsonError(404, 'not_found', `no route for ${req.method.toUpperCase()} ${req.path}`),
    },
  ];
}
