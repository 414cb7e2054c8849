import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ServiceStatus } from './metrics.js';

export interface ProbeServerOptions {
  host: string;
  port: number;
  status: () => ServiceStatus;
  /** True once shutdown began: /readyz fails so that nothing new is routed here. */
  stopping: () => boolean;
  registry: Registry;
  onError: (error: unknown) => void;
}

export interface ProbeServer {
  /** The bound port (the real one when asked for 0). */
  readonly port: number;
  /** Stops listening and closes open connections, keep-alive ones included. */
  close(): Promise<void>;
}

/**
 * The aggregator's operational endpoints, on node:http (scraped every few seconds, not a hot
 * path):
 * - `GET /healthz`: 200 while the process serves requests;
 * - `GET /readyz`: 200 while connected to NATS and not stopping, else 503; the JSON body says
 *   `{ owned, nats, redis }` either way, so a standby (owning nothing) is ready too;
 * - `GET /metrics`: the Prometheus text format.
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      options.onError(error);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() waits for idle keep-alive sockets (a scraper's) to time out otherwise.
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: ProbeServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      const { owned, nats, redis } = options.status();
      const ready = nats && !options.stopping();
      send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ owned, nats, redis }));
      return;
    }
    case '/metrics': {
      const body = await options.registry.metrics();
      send(res, 200, options.registry.contentType, body);
      return;
    }
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
