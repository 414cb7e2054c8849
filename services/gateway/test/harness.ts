import { silentLogger } from '@roar/runtime';
import { TestClient, type TestClientOptions } from '@roar/testkit';
import { SignJWT } from 'jose';
import { loadGatewayConfig } from '../src/base/config.js';
import { startEmbedded, type Embedded } from '../src/embedded.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256';

/** Fast timers so tests see counts and bursts quickly; any of them can be overridden. */
const FAST: Record<string, string> = {
  ROAR_HOST: '127.0.0.1',
  ROAR_PORT: '0',
  ROAR_JWT_SECRET: TEST_SECRET,
  ROAR_TICK_MS: '20',
  ROAR_REPORT_INTERVAL_MS: '100',
  ROAR_COUNT_INTERVAL_MS: '100',
  ROAR_REACTION_WINDOW_MS: '100',
  ROAR_DRAIN_WINDOW_MS: '0',
  // Tests share a busy machine: keep the ladder from reacting to the test run itself.
  ROAR_LADDER_CPU: '64',
  ROAR_LADDER_LOOP_DELAY_MS: '5000',
  ROAR_LADDER_FANOUT_MS: '5000',
};

export interface TestServer extends AsyncDisposable {
  embedded: Embedded;
  port: number;
  wsUrl: string;
  httpUrl: string;
  connect(
    options?: TestClientOptions & { user?: string; roles?: string[]; name?: string },
  ): Promise<TestClient>;
  /** Connects, waits for the welcome and joins `stream`. */
  viewer(
    stream: string,
    options?: TestClientOptions & { user?: string; roles?: string[] },
  ): Promise<TestClient>;
}

export async function token(
  sub: string,
  claims: Record<string, unknown> = {},
  expiresIn = '1h',
): Promise<string> {
  return new SignJWT({ name: sub, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(TEST_SECRET));
}

/** The embedded server (gateway + aggregator over the memory bus) on a free port. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadGatewayConfig({ ...FAST, ...env });
  const embedded = await startEmbedded(config, silentLogger);
  const port = embedded.gateway.port;
  const clients: TestClient[] = [];
  const server: TestServer = {
    embedded,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async connect(options = {}) {
      const { user, roles, name, ...rest } = options;
      const t = user
        ? await token(user, { roles: roles ?? [], ...(name ? { name } : {}) })
        : undefined;
      const client = await TestClient.connect(server.wsUrl, {
        ...(t ? { token: t } : {}),
        ...rest,
      });
      clients.push(client);
      return client;
    },
    async viewer(stream, options = {}) {
      const client = await server.connect(options);
      await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
      const joined = await client.request({ type: 'join', stream });
      if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.terminate();
      await embedded.stop();
    },
  };
  return server;
}
