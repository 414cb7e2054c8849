import { ErrorCode, RoarError, isAnonId, negotiateCodec } from '@roar/protocol';
import { randomBytes } from 'node:crypto';
import type { Admission } from './admission.js';
import type { GatewayConfig } from './config.js';
import { jsonError } from './http.js';
import type { Identity } from './identity.js';
import { originAllowed } from './origins.js';
import type { GatewayMetrics } from './metrics.js';
import type { UpgradeRequest, UpgradeResult } from './transport-uws.js';

/**
 * Decides a WebSocket upgrade, synchronously and cheaply: the codec from the subprotocol offer,
 * and who the client claims to be. A bearer token (header, or `token` query parameter for
 * browsers) is verified just after the open; until then the connection is anonymous and its
 * frames wait. A refused token still upgrades, so that browsers (which cannot read an HTTP
 * status) learn the reason from an error frame and a do-not-reconnect close code.
 */
export function decideUpgrade(
  req: UpgradeRequest,
  config: GatewayConfig,
  metrics: GatewayMetrics,
  admission: Admission,
  now: number,
): UpgradeResult {
  // First, before any per-connection work: a storm must cost as little as possible to refuse.
  const verdict = admission.check(req.ip, now);
  if (!verdict.ok) {
    metrics.connectionsTotal.inc({ result: 'refused_admission' });
    return {
      reject: jsonError(
        503,
        'overloaded',
        `not admitting new connections (${verdict.reason}); retry later`,
        {
          'retry-after': String(verdict.retryAfterS),
        },
      ),
    };
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
  const header = req.header('authorization');
  const token = header?.startsWith('Bearer ')
    ? header.slice(7).trim()
    : (req.query.get('token') ?? undefined);
  const anon = req.query.get('anon');
  let authError: RoarError | undefined;
  if (!token && !config.allowAnonymous) {
    authError = new RoarError(ErrorCode.Unauthenticated, 'this server needs a token');
  }
  return {
    session: {
      id,
      identity: anonymousIdentity(id, isAnonId(anon) ? anon : undefined),
      token: token || undefined,
      ready: false,
      backlog: undefined,
      codec,
      ip: req.ip,
      streams: [],
      open: false,
      closed: false,
      authError,
      frames: undefined,
      floodDrops: 0,
      badFrames: 0,
      slowSince: undefined,
    },
    protocol: offer ? codec.subprotocol : '',
  };
}

const NO_ROLES: readonly string[] = Object.freeze([]);

/**
 * An anonymous viewer: everything but the key lives on the prototype, because anonymous
 * viewers are most of a crowd and each byte is paid per connection.
 */
class AnonymousIdentity implements Identity {
  readonly key: string;

  constructor(key: string) {
    this.key = key;
  }

  get userId(): undefined {
    return undefined;
  }

  get name(): string {
    return `viewer-${this.key.slice(-4)}`;
  }

  get roles(): readonly string[] {
    return NO_ROLES;
  }

  get anonymous(): boolean {
    return true;
  }
}

export function anonymousIdentity(connectionId: string, anonId: string | undefined): Identity {
  return new AnonymousIdentity(anonId ? `a:${anonId}` : `c:${connectionId}`);
}
