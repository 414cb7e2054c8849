import type { AnonymousIds } from './base/anonymous.js';
import type { GatewayConfig } from './base/config.js';
import { devLogin } from './base/dev-login.js';
import { ErrorCode } from '@roar/protocol';
import { json, jsonError, type Route } from './base/http.js';
import { MAX_TICKET_CHARS } from './load/admission-ticket.js';
import type { GatewayMetrics } from './base/metrics.js';
import { fromAllowedOrigins } from './base/origins.js';
import type { ConnectionHandler } from './connection/connection-handler.js';
import { MAX_PAYLOAD_CUT_FACTOR } from './connection/frame-check.js';
import { decideUpgrade, type UpgradeConfig } from './connection/upgrade.js';
import type { LoadControl } from './load/load-control.js';
import type { SseHub } from './transport/sse.js';
import type { UpgradeRequest, UpgradeResult } from './transport/transport.js';
import type { UwsTransport } from './transport/uws.js';

export interface Endpoints {
  config: UpgradeConfig & Pick<GatewayConfig, 'maxPayloadBytes'>;
  transport: UwsTransport;
  sse: SseHub;
  connections: ConnectionHandler;
  load: LoadControl;
  metrics: GatewayMetrics;
  anonymous: AnonymousIds;
  now: () => number;
  /** HTTP routes, registered in this order after the WebSocket and the SSE endpoints. */
  routes: readonly Route[];
}

/**
 * Puts the gateway on its port: WebSocket at `/ws` and its SSE fallback (`GET /v1/sse` down,
 * `POST /v1/sse/{session}` up) both lead to the one connection handler, after the same upgrade
 * decision; then the HTTP routes.
 */
export function mountEndpoints(e: Endpoints): void {
  const { config, transport, sse, connections, load, metrics, anonymous, now } = e;
  transport.websocket('/ws', {
    upgrade: (req) => decideUpgrade(req, config, metrics, load.admission, anonymous, now()),
    open: (ws) => connections.open(ws),
    message: (ws, data) => connections.message(ws, data),
    close: (ws) => connections.close(ws),
    drain: (ws) => load.slow.drained(ws),
    dropped: (ws) => load.slow.close(ws),
  });
  const decide = (req: UpgradeRequest): UpgradeResult =>
    decideUpgrade(
      // The fallback speaks JSON: EventSource cannot choose a subprotocol.
      {
        ...req,
        header: (n) => (n === 'sec-websocket-protocol' ? 'roar.v1.json' : req.header(n)),
      },
      config,
      metrics,
      load.admission,
      anonymous,
      now(),
    );
  transport.streamRoute(
    '/v1/sse',
    sse.opener(decide, {
      open: (ws) => connections.open(ws),
      close: (ws) => connections.close(ws),
    }),
  );
  transport.route({
    method: 'post',
    pattern: '/v1/sse/:session',
    handler: fromAllowedOrigins(
      config.allowedOrigins,
      sse.poster((ws, data) => connections.message(ws, data)),
    ),
    maxBodyBytes: config.maxPayloadBytes * MAX_PAYLOAD_CUT_FACTOR,
  });
  transport.route(admissionRoute(load, now));
  for (const route of e.routes) transport.route(route);
}

/**
 * `GET /v1/admission[?ticket=]`: a place in the admission queue (docs/protocol.md, "Admission
 * tickets"), for clients that cannot read a refused upgrade's body (browsers). A valid ticket
 * keeps its holder's place. Never cached: each answer is a place of its own.
 */
function admissionRoute(load: LoadControl, now: () => number): Route {
  return {
    method: 'get',
    pattern: '/v1/admission',
    handler: (req) => {
      const token = req.query.get('ticket') ?? undefined;
      // Longer than any ticket the gateway signs: not one, and not worth a MAC.
      if (token !== undefined && token.length > MAX_TICKET_CHARS) {
        return jsonError(400, ErrorCode.InvalidField, `ticket is longer than ${MAX_TICKET_CHARS}`);
      }
      const ticket = load.admission.ticket(req.ip, now(), token);
      if (!ticket) {
        return jsonError(503, 'overloaded', 'the admission queue is full; retry later', {
          'retry-after': String(load.admission.retryAfterS),
          'cache-control': 'no-store',
        });
      }
      return json(200, ticket, { 'cache-control': 'no-store' });
    },
  };
}

/** `POST /dev/token`, when dev login is on (see `devLoginOn` in base/config-checks.ts). */
export function devTokenRoute(
  secret: string,
  config: Pick<GatewayConfig, 'devLoginRoles' | 'jwtMaxLifetimeS'>,
): Route {
  return {
    method: 'post',
    pattern: '/dev/token',
    handler: devLogin(secret, config.devLoginRoles, config.jwtMaxLifetimeS),
    maxBodyBytes: 4096,
  };
}
