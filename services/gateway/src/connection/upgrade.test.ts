import { EnvReader } from '@roar/runtime';
import { describe, expect, it } from 'vitest';
import { AnonymousIds } from '../base/anonymous.js';
import { readHooksConfig } from '../base/hooks-config.js';
import { GatewayMetrics } from '../base/metrics.js';
import { Admission } from '../load/admission.js';
import { SESSION_FIELDS, type Session } from '../transport/socket.js';
import type { UpgradeRequest } from '../transport/transport.js';
import { decideUpgrade, type UpgradeConfig } from './upgrade.js';

const SECRET = 'upgrade-test-secret-0123456789abcdef';
const hooks = readHooksConfig(new EnvReader({}));
const withConnectHook: Partial<UpgradeConfig> = {
  hooks: {
    ...hooks,
    connect: { url: 'http://127.0.0.1:1/connect', timeoutMs: 1000, fail: 'closed' },
  },
  jwtSecret: undefined,
};

function upgrade(query: string, over: Partial<UpgradeConfig> = {}, headers = {}): Session {
  const metrics = new GatewayMetrics();
  const admission = new Admission(
    {
      ...{ ratePerS: 1000, burst: 1000, maxConnections: 100, maxPerIp: 100, retryAfterS: 1 },
      ...{ lingerMs: 0, ticketSecret: SECRET, ticketWindowMs: 5000 },
    },
    metrics,
    0,
  );
  const config: UpgradeConfig = {
    allowedOrigins: [],
    allowAnonymous: true,
    hooks,
    jwtSecret: SECRET,
    jwtPublicKey: undefined,
    jwtJwksUrl: undefined,
    ...over,
  };
  const all: Record<string, string> = { 'sec-websocket-protocol': 'roar.v1.json', ...headers };
  const req: UpgradeRequest = {
    query: new URLSearchParams(query),
    header: (name) => all[name],
    ip: '127.0.0.1',
  };
  const anonymous = new AnonymousIds({ secret: SECRET, perAddress: 8 });
  const result = decideUpgrade(req, config, metrics, admission, anonymous, 0);
  if (!('session' in result)) throw new Error('upgrade refused');
  return result.session;
}

describe('decideUpgrade', () => {
  // uWS copies the session onto its socket object property by property; past SESSION_FIELDS,
  // V8 keeps that object as a hash table, ~700 bytes more per idle connection (RESULTS.md §3).
  it('makes every session with the same, few fields, whatever the sign-in', () => {
    const sessions = [
      upgrade('anon=viewer-1'),
      upgrade('token=a.b.c'),
      upgrade('', { allowAnonymous: false }),
      upgrade('', {}, { authorization: 'Bearer ' }),
      upgrade('', withConnectHook, { cookie: 'sid=1' }),
    ];
    const fields = Object.keys(sessions[0]!);
    expect(fields.length).toBeLessThanOrEqual(SESSION_FIELDS);
    for (const s of sessions) expect(Object.keys(s)).toEqual(fields);
  });

  it('says how the connection signs in at open', () => {
    expect(upgrade('anon=viewer-1').signIn).toBeUndefined();
    expect(upgrade('token=a.b.c').signIn).toEqual({ token: 'a.b.c' });
    expect(upgrade('', withConnectHook, { cookie: 'sid=1' }).signIn).toEqual({
      credentials: { cookie: 'sid=1', authorization: undefined },
    });
    const refused = upgrade('', { allowAnonymous: false }).signIn;
    expect(refused && 'refuse' in refused && refused.refuse.code).toBe('unauthenticated');
  });
});
