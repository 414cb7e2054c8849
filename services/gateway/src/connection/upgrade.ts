import { ErrorCode, RoarError, isAnonId, negotiateCodec } from '@roar/protocol';
import { randomBytes } from 'node:crypto';
import type { Admission } from '../load/admission.js';
import type { AnonymousIds } from '../base/anonymous.js';
import { authorizationCredentials } from '../base/auth.js';
import type { SessionCredentials } from '../base/identity.js';
import type { GatewayConfig } from '../base/config.js';
import { json, jsonError } from '../base/http.js';
import { originAllowed } from '../base/origins.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { UpgradeRequest, UpgradeResult } from '../transport/transport.js';

/** What an upgrade decision reads: which browser origins may connect, and anonymous viewers. */
export type UpgradeConfig = Pick<
  GatewayConfig,
  'allowedOrigins' | 'allowAnonymous' | 'hooks' | 'jwtSecret' | 'jwtPublicKey' | 'jwtJwksUrl'
>;

/**
 * Decides a WebSocket upgrade, synchronously and cheaply: the codec from the subprotocol offer,
 * and who the client claims to be. A bearer token (header, or `token` query parameter for
 * browsers) is verified just after the open; until then the connection is anonymous and its
 * frames wait. A refused token still upgrades, so that browsers (which cannot read an HTTP
 * status) learn the reason from an error frame and a do-not-reconnect close code.
 */
export function decideUpgrade(
  req: UpgradeRequest,
  config: UpgradeConfig,
  metrics: GatewayMetrics,
  admission: Admission,
  anonymous: AnonymousIds,
  now: number,
): UpgradeResult {
  // First, before any per-connection work: a storm must cost as little as possible to refuse.
  const verdict = admission.check(req.ip, now, req.query.get('ticket') ?? undefined);
  if (!verdict.ok) {
    metrics.connectionsTotal.inc({ result: 'refused_admission' });
    // The ticket (docs/protocol.md, "Admission tickets") rides in the body for clients that can
    // read it; browsers cannot read a refused upgrade and ask GET /v1/admission instead.
    const body = {
      error: {
        code: 'overloaded',
        message: `not admitting new connections (${verdict.reason}); retry later`,
      },
      ...(verdict.ticket ?? {}),
    };
    return { reject: json(503, body, { 'retry-after': String(verdict.retryAfterS) }) };
  }
  // Browsers label every WebSocket and EventSource with the page's origin; other sites' pages
  // are refused unless ROAR_ALLOWED_ORIGINS lists them.
  if (!originAllowed(config.allowedOrigins, req.header('origin'), req.header('host'))) {
    metrics.connectionsTotal.inc({ result: 'refused_origin' });
    return {
      reject: jsonError(403, 'origin_not_allowed', 'this origin is not in ROAR_ALLOWED_ORIGINS'),
    };
  }
  const offer = req.header('sec-websocket-protocol');
  const codec = negotiateCodec(offer);
  if (!codec) {
    metrics.connectionsTotal.inc({ result: 'refused_protocol' });
    return {
      reject: jsonError(
        400,
        'unsupported_protocol',
        'offer roar.v1.msgpack or roar.v1.json as the WebSocket subprotocol',
      ),
    };
  }
  const id = randomBytes(9).toString('base64url');
  // The scheme is case-insensitive (RFC 9110). Other schemes are left alone: a proxy in front
  // (HTTP basic auth on a staging site) may have made the browser send them.
  const credentials = authorizationCredentials(req.header('authorization'));
  const bearer = credentials?.scheme === 'bearer' ? credentials : undefined;
  const token = bearer ? bearer.value : (req.query.get('token') ?? undefined);
  const anon = req.query.get('anon');
  const appSession = hookCredentials(config, req, token);
  let authError: RoarError | undefined;
  if (appSession) {
    // The connect hook decides; a bearer token that is not a JWT of ours is the app's.
  } else if (bearer && !bearer.value) {
    authError = new RoarError(ErrorCode.TokenInvalid, 'the Bearer scheme came without a token');
  } else if (!token && !config.allowAnonymous) {
    authError = new RoarError(ErrorCode.Unauthenticated, 'this server needs a token');
  }
  return {
    session: {
      id,
      // Replaced by the token's identity once it is verified; until then, and for anonymous
      // viewers for good, an id derived by the server (anonymous.ts), never `anon` itself.
      // Connections that will be refused or signed in take no anonymous slot of the address.
      identity:
        token || authError || appSession
          ? anonymous.pending()
          : anonymous.identify(req.ip, isAnonId(anon) ? anon : undefined, now),
      signIn: authError
        ? { refuse: authError }
        : appSession
          ? { credentials: appSession }
          : token
            ? { token }
            : undefined,
      ready: false,
      backlog: undefined,
      codec,
      ip: req.ip,
      streams: [],
      joining: undefined,
      open: false,
      closed: false,
      frames: undefined,
      floodDrops: 0,
      badFrames: 0,
      slowSince: undefined,
    },
    protocol: offer ? codec.subprotocol : '',
  };
}

/**
 * What goes to the connect hook, when one is set: the upgrade's Cookie and Authorization headers,
 * unless a bearer token is to be verified as a Roar JWT (a JWT key is configured). Without either
 * header there is nothing to ask about, and the connection is anonymous at no cost.
 */
function hookCredentials(
  config: UpgradeConfig,
  req: UpgradeRequest,
  token: string | undefined,
): SessionCredentials | undefined {
  if (!config.hooks.connect) return undefined;
  const jwt = config.jwtSecret ?? config.jwtPublicKey ?? config.jwtJwksUrl;
  if (token && jwt !== undefined) return undefined;
  const cookie = req.header('cookie') || undefined;
  const authorization = req.header('authorization') || undefined;
  if (!cookie && !authorization) return undefined;
  return { cookie, authorization };
}
