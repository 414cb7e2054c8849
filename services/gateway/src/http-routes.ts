import type { Store } from '@roar/store';
import { readFile } from 'node:fs/promises';
import type { GatewayConfig } from './config.js';
import { jsonError, type HttpReply, type Route } from './http.js';
import type { GatewayMetrics } from './metrics.js';
import type { StreamRegistry } from './stream-registry.js';
import { viewersEndpoint } from './viewers-endpoint.js';

export interface HttpRoutesOptions {
  registry: StreamRegistry;
  store: Store;
  metrics: GatewayMetrics;
  config: GatewayConfig;
  now: () => number;
  /** True while the gateway should receive new viewers. */
  ready: () => boolean;
  /** Metrics of every worker of this process, when there are several. */
  clusterMetrics?: () => Promise<{ text: string; contentType: string }>;
}

const PUBLIC = new URL('../public/', import.meta.url);

/** Files served as they are: the demo page and its assets. */
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/demo.js': { file: 'demo.js', type: 'text/javascript; charset=utf-8' },
};

/** The gateway's HTTP surface besides the WebSocket: health, metrics, counts, the demo page. */
export function httpRoutes(o: HttpRoutesOptions): Route[] {
  const files = new Map<string, Promise<Buffer>>();
  const serve = (path: string): Route['handler'] => {
    const spec = STATIC[path];
    return async (): Promise<HttpReply> => {
      if (!spec) return { status: 404 };
      let file = files.get(spec.file);
      if (!file) files.set(spec.file, (file = readFile(new URL(spec.file, PUBLIC))));
      return {
        status: 200,
        headers: { 'content-type': spec.type, 'cache-control': 'no-cache' },
        body: await file,
      };
    };
  };
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
      handler: async () => {
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
    ...Object.keys(STATIC).map((path): Route => ({
      method: 'get',
      pattern: path,
      handler: serve(path),
    })),
  ];
}

/** Registered after every other route: whatever none of them matched. */
export const notFound: Route = {
  method: 'any',
  pattern: '/*',
  handler: (req) =>
    jsonError(404, 'not_found', `no route for ${req.method.toUpperCase()} ${req.path}`),
};
