import { loadGatewayConfig, startEmbedded } from '@roar/gateway';
import { silentLogger } from '@roar/runtime';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { RoarClient, memoryStorage, type RoarClientOptions } from '../src/index.js';

const SECRET = 'client-integration-secret-long-enough-for-hs256';

/** Fast timers so counts and bursts show up in tens of milliseconds. */
const FAST: Record<string, string> = {
  ROAR_PORT: '0',
  ROAR_HOST: '127.0.0.1',
  ROAR_JWT_SECRET: SECRET,
  ROAR_TICK_MS: '20',
  ROAR_REPORT_INTERVAL_MS: '100',
  ROAR_COUNT_INTERVAL_MS: '100',
  ROAR_REACTION_WINDOW_MS: '100',
};

/** A token the test server accepts; `claims` adds roles, a display name... */
export function token(
  sub: string,
  expiresAt: string | number = '1h',
  claims: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ name: sub, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(SECRET));
}

/** The embedded gateway on a free loopback port, with clients that are closed with it. */
export async function startServer(env: Record<string, string> = {}) {
  const embedded = await startEmbedded(loadGatewayConfig({ ...FAST, ...env }), silentLogger);
  const url = `ws://127.0.0.1:${embedded.gateway.port}/ws`;
  const clients: RoarClient[] = [];
  return {
    url,
    /** A client of this server over `ws`; closed when the server is disposed. */
    client(options: Partial<RoarClientOptions> = {}): RoarClient {
      const client = new RoarClient({
        url,
        WebSocket,
        storage: memoryStorage(),
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
        ...options,
      });
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await embedded.stop();
    },
  };
}
