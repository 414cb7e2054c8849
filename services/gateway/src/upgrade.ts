import { ErrorCode, RoarError, isAnonId, negotiateCodec } from '@roar/protocol';
import { randomBytes } from 'node:crypto';
import { AuthError, type Authenticator } from './auth.js';
import type { GatewayConfig } from './config.js';
import { jsonError } from './http.js';
import type { Identity } from './identity.js';
import type { GatewayMetrics } from './metrics.js';
import type { UpgradeRequest, UpgradeResult } from './transport-uws.js';

/**
 * Decides a WebSocket upgrade: codec from the subprotocol offer, identity from the bearer token
 * (header, or `token` query parameter for browsers) or anonymous with the client's stable `anon`
 * id. A refused token still upgrades, so that browsers (which cannot read an HTTP status) learn
 * the reason from an error frame and a do-not-reconnect close code.
 */
export async function decideUpgrade(
  req: UpgradeRequest,
  config: GatewayConfig,
  auth: Authenticator,
  metrics: GatewayMetrics,
): Promise<UpgradeResult> {
  const offer = req.header('sec-websocket-protocol');
  const codec = negotiateCodec(offer);
  if (!codec) {
    metrics.connectionsTotal.inc({ result: 'refused_protocol' });
    return {
      reject: jsonError(400, 'unsupported_protocol', 'offer roar.v1.msgpack or roar.v1.json as the WebSocket subprotocol'),
    };
  }
  const id = randomBytes(9).toString('base64url');
  const header = req.header('authorization');
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.query.get('token') ?? undefined;
  let identity: Identity;
  let authError: RoarError | undefined;
  if (token) {
    try {
      identity = await auth.verify(token);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      authError = error;
      identity = anonymous(id, undefined);
    }
  } else if (!config.allowAnonymous) {
    authError = new RoarError(ErrorCode.Unauthenticated, 'this server needs a token');
    identity = anonymous(id, undefined);
  } else {
    const anon = req.query.get('anon');
    identity = anonymous(id, isAnonId(anon) ? anon : undefined);
  }
  metrics.connectionsTotal.inc({ result: authError ? 'refused_auth' : 'accepted' });
  return {
    session: {
      id,
      identity,
      codec,
      ip: req.ip,
      streams: [],
      open: false,
      authError,
      frames: undefined,
      floodDrops: 0,
      badFrames: 0,
    },
    protocol: offer ? codec.subprotocol : '',
  };
}

function anonymous(connectionId: string, anonId: string | undefined): Identity {
  const key = anonId ? `a:${anonId}` : `c:${connectionId}`;
  return { key, userId: undefined, name: `viewer-${key.slice(-4)}`, roles: [], anonymous: true };
}
