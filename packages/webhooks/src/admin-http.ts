import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiKey } from '@roar/runtime';
import type { DeadLetters } from './dead-letters.js';
import type { Dispatcher } from './dispatcher.js';
import type { WebhookMetrics } from './metrics.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  keys: readonly ApiKey[];
  dispatchers: readonly Dispatcher[];
  deadLetters: DeadLetters;
  metrics: WebhookMetrics;
  onError: (error: unknown) => void;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown };

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const error = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
});

/**
 * The webhook process's HTTP side (docs/openapi.yaml, tag "Webhooks"): `GET /healthz`,
 * `GET /metrics`, and with an admin API key (`X-Api-Key` or `Authorization: ApiKey <key>`, from
 * `ROAR_ADMIN_API_KEYS`) `GET /webhooks/v1/endpoints`, `GET /webhooks/v1/failures` and
 * `POST /webhooks/v1/failures/{id}/redeliver`.
 */
export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const keys = o.keys.map((k) => digest(k.key));
  const server = createServer((req, res) => {
    route(o, keys, req).then(
      (reply) => send(res, reply),
      (e: unknown) => {
        o.onError(e);
        send(res, error(500, 'internal', 'internal error'));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(o: AdminServerOptions, keys: Buffer[], req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/healthz' && method === 'GET') return { status: 200, body: { ok: true } };
  if (path === '/metrics' && method === 'GET')
    return { status: 200, body: await o.metrics.registry.metrics() };
  if (!path.startsWith('/webhooks/v1/')) return error(404, 'not_found', 'no such route');
  // The cheapest refusal first: no key, no look at anything else.
  const header = req.headers.authorization;
  const key =
    (req.headers['x-api-key'] as string | undefined) ??
    (/^apikey\s+/i.test(header ?? '') ? header?.replace(/^apikey\s+/i, '') : undefined);
  if (key === undefined) return error(401, 'unauthenticated', 'send an API key');
  const hash = digest(key);
  let match = false;
  for (const k of keys) if (timingSafeEqual(k, hash)) match = true;
  if (!match) return error(401, 'unauthenticated', 'unknown API key');

  if (path === '/webhooks/v1/endpoints') {
    if (method !== 'GET') return error(405, 'method_not_allowed', 'use GET');
    return {
      status: 200,
      body: { endpoints: o.dispatchers.map((d) => describe(d, o.deadLetters)) },
    };
  }
  if (path === '/webhooks/v1/failures') {
    if (method !== 'GET') return error(405, 'method_not_allowed', 'use GET');
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    if (endpoint !== undefined && !o.dispatchers.some((d) => d.endpoint.id === endpoint))
      return error(404, 'not_found', `no endpoint "${endpoint}"`);
    return { status: 200, body: { failures: o.deadLetters.list(endpoint).map(summary) } };
  }
  const redeliver = /^\/webhooks\/v1\/failures\/([A-Za-z0-9_-]{1,64}-\d+-\d+)\/redeliver$/.exec(
    path,
  );
  if (redeliver?.[1] !== undefined) {
    if (method !== 'POST') return error(405, 'method_not_allowed', 'use POST');
    const letter = o.deadLetters.get(redeliver[1]);
    const dispatcher = o.dispatchers.find((d) => d.endpoint.id === letter?.endpoint);
    const outcome = letter && (await dispatcher?.redeliver(letter.id));
    if (!outcome) return error(404, 'not_found', 'no such failure');
    if (outcome.result !== 'ok')
      return error(502, 'unavailable', `the endpoint failed again: ${outcome.error}`);
    return { status: 200, body: { delivered: letter.events.length } };
  }
  return error(404, 'not_found', 'no such route');
}

function describe(d: Dispatcher, deadLetters: DeadLetters) {
  return {
    id: d.endpoint.id,
    url: d.endpoint.url,
    events: d.endpoint.events,
    lastSeq: d.lastSeq,
    delivered: d.delivered,
    failing: d.failures > 0,
    lastError: d.lastError || null,
    deadLetters: deadLetters.count(d.endpoint.id),
  };
}

function summary(letter: ReturnType<DeadLetters['list']>[number]) {
  return {
    id: letter.id,
    endpoint: letter.endpoint,
    events: letter.events.length,
    firstSeq: letter.events[0]?.seq ?? 0,
    lastSeq: letter.events.at(-1)?.seq ?? 0,
    streams: [...new Set(letter.events.map((e) => e.stream))].slice(0, 100),
    attempts: letter.attempts,
    lastError: letter.lastError,
    failedAt: new Date(letter.failedAt).toISOString(),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(reply.body);
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}
