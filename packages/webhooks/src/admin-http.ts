import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiKey } from '@roar/runtime';
import type { DeadLetters } from './dead-letters.js';
import type { Dispatcher } from './dispatcher.js';
import type { WebhookMetrics } from './metrics.js';
import type { WebhookReadiness } from './readiness.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  keys: readonly ApiKey[];
  dispatchers: readonly Dispatcher[];
  deadLetters: DeadLetters;
  metrics: WebhookMetrics;
  /** How the process's parts stand now, for `/readyz`. */
  readiness: () => WebhookReadiness;
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
 * `GET /readyz` (200 when NATS, the dead-letter journal and every endpoint's feed are ready, else
 * 503, the body saying what is missing), `GET /metrics`, and with an admin API key (`X-Api-Key`
 * or `Authorization: ApiKey <key>`, from `ROAR_ADMIN_API_KEYS`) `GET /webhooks/v1/endpoints`,
 * `GET /webhooks/v1/failures` and `POST /webhooks/v1/failures/{id}/redeliver`.
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
  if (path === READYZ.template && method === READYZ.method) {
    const unknown = url.searchParams.keys().next();
    if (!unknown.done)
      return error(400, 'invalid_field', `unknown query parameter ${unknown.value}`);
    const body = o.readiness();
    return { status: body.missing.length === 0 ? 200 : 503, body };
  }
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

  for (const r of ROUTES) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    if (method !== r.method) return error(405, 'method_not_allowed', `use ${r.method}`);
    const unknown = [...url.searchParams.keys()].filter((q) => !r.query.includes(q));
    if (unknown.length > 0)
      return error(400, 'invalid_field', `unknown query parameter ${unknown[0]}`);
    return r.handle(o, match, url.searchParams);
  }
  return error(404, 'not_found', 'no such route');
}

interface Route {
  method: 'GET' | 'POST';
  /** The OpenAPI path template (`admin-http.test.ts` checks the table against the document). */
  template: string;
  pattern: RegExp;
  query: readonly string[];
  handle(o: AdminServerOptions, match: RegExpExecArray, query: URLSearchParams): Promise<Reply>;
}

const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The one documented operation without a key: a probe (`admin-http.test.ts` checks it too). */
export const READYZ = { method: 'GET', template: '/readyz' } as const;

/** The admin API, as docs/openapi.yaml (tag `webhooks`) describes it. */
export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    template: '/webhooks/v1/endpoints',
    pattern: /^\/webhooks\/v1\/endpoints$/,
    query: [],
    handle: async (o) => ({
      status: 200,
      body: { endpoints: o.dispatchers.map((d) => describe(d, o.deadLetters)) },
    }),
  },
  {
    method: 'GET',
    template: '/webhooks/v1/failures',
    pattern: /^\/webhooks\/v1\/failures$/,
    query: ['endpoint'],
    handle: async (o, _, query) => {
      const endpoint = query.get('endpoint') ?? undefined;
      if (endpoint !== undefined && !ENDPOINT_ID.test(endpoint))
        return error(400, 'invalid_field', 'endpoint must be 1-64 of A-Z a-z 0-9 _ -');
      if (endpoint !== undefined && !o.dispatchers.some((d) => d.endpoint.id === endpoint))
        return error(404, 'not_found', `no endpoint "${endpoint}"`);
      return { status: 200, body: { failures: o.deadLetters.list(endpoint).map(summary) } };
    },
  },
  {
    method: 'POST',
    template: '/webhooks/v1/failures/{id}/redeliver',
    pattern: /^\/webhooks\/v1\/failures\/([^/]*)\/redeliver$/,
    query: [],
    handle: async (o, match) => {
      const id = match[1] ?? '';
      if (!/^[A-Za-z0-9_-]{1,64}-[0-9]+-[0-9]+$/.test(id))
        return error(400, 'invalid_field', 'id must be <endpoint>-<firstSeq>-<lastSeq>');
      const letter = o.deadLetters.get(id);
      const dispatcher = o.dispatchers.find((d) => d.endpoint.id === letter?.endpoint);
      const outcome = letter && (await dispatcher?.redeliver(letter.id));
      if (!outcome) return error(404, 'not_found', 'no such failure');
      if (outcome.result !== 'ok')
        return error(502, 'unavailable', `the endpoint failed again: ${outcome.error}`);
      return { status: 200, body: { delivered: letter.events.length } };
    },
  },
];

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
