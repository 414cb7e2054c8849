import { ManagedProcess, TestClient } from '@roar/testkit';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/base/config.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SECRET = 'cli-test-secret-0123456789abcdefghijklmnop';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `roar` bin with exactly `env` (plus PATH), as an operator's shell would. */
function roar(args: string[], env: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('roar check-config', () => {
  it('prints the effective configuration from the gateway loader, secrets masked', async () => {
    const run = await roar(['check-config'], {
      ROAR_MODE: 'gateway',
      ROAR_WORKERS: '2',
      ROAR_PORT: '9000',
      ROAR_JWT_SECRET: SECRET,
      ROAR_REDIS_URL: 'redis://:hunter2-redis-password@redis:6379',
      ROAR_NATS_URL: 'nats://roar:nats-password@nats-0:4222,nats://nats-1:4222',
      ROAR_ADMIN_API_KEYS: 'ops:admin-key-0123456789abcdefghijklmnopqrstu',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({
      mode: 'gateway',
      workers: 2,
      port: 9000,
      // Defaults the loader applied are part of the effective configuration.
      tickMs: 50,
      maxConnections: 9500,
      jwtSecret: '****',
      adminApiKeys: ['ops:****'],
      redisUrl: 'redis://:****@redis:6379',
      natsUrl: 'nats://roar:****@nats-0:4222,nats://nats-1:4222',
    });
    for (const secret of [SECRET, 'hunter2', 'nats-password', 'admin-key-0123'])
      expect(run.stdout).not.toContain(secret);
  });

  it('exits 2 naming the variable the gateway would refuse', async () => {
    const bad = await roar(['check-config'], { ROAR_PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^roar: .*ROAR_PORT/);
    const unknown = await roar(['check-config'], { ROAR_TICKMS: '10' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ROAR_TICKMS');
  });
});

describe('roar gen-secret', () => {
  it('prints a fresh secret the gateway accepts as ROAR_JWT_SECRET', async () => {
    const [a, b] = await Promise.all([roar(['gen-secret']), roar(['gen-secret'])]);
    expect(a.code).toBe(0);
    const secret = a.stdout.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(b.stdout.trim()).not.toBe(secret);
    expect(loadGatewayConfig({ ROAR_JWT_SECRET: secret }).jwtSecret).toBe(secret);
    expect((await roar(['gen-secret', '--bytes', '64'])).stdout.trim()).toHaveLength(86);
    expect((await roar(['gen-secret', '--bytes', '8'])).code).toBe(2);
  });
});

describe('roar gen-token', () => {
  it('signs the claims asked for with the configured secret, issuer and audience', async () => {
    const run = await roar(
      [
        'gen-token',
        '--user',
        'u-42',
        '--name',
        'Ada',
        '--roles',
        'moderator:s1,admin',
        '--ttl',
        '120',
      ],
      { ROAR_JWT_SECRET: SECRET, ROAR_JWT_ISSUER: 'https://id.example', ROAR_JWT_AUDIENCE: 'roar' },
    );
    expect(run.stderr).toBe('');
    const c = claims(run.stdout.trim());
    expect(c).toMatchObject({
      sub: 'u-42',
      name: 'Ada',
      roles: ['moderator:s1', 'admin'],
      iss: 'https://id.example',
      aud: 'roar',
    });
    expect((c.exp as number) - (c.iat as number)).toBe(120);
  });

  it('refuses without a secret, and with a role or ttl the gateway would not take', async () => {
    const none = await roar(['gen-token']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ROAR_JWT_SECRET');
    const role = await roar(['gen-token', '--roles', 'Moderator!'], { ROAR_JWT_SECRET: SECRET });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--roles');
    const ttl = await roar(['gen-token', '--ttl', '1h'], { ROAR_JWT_SECRET: SECRET });
    expect(ttl.code).toBe(2);
    const flag = await roar(['gen-token', '--usr', 'x'], { ROAR_JWT_SECRET: SECRET });
    expect(flag.code).toBe(2);
    expect((await roar(['frobnicate'])).code).toBe(2);
  });

  it('mints a token a running gateway accepts, with its roles as badges', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const gateway = new ManagedProcess(process.execPath, [MAIN], {
      ...process.env,
      ROAR_HOST: '127.0.0.1',
      ROAR_PORT: '0',
      ROAR_JWT_SECRET: SECRET,
    });
    try {
      const [, port] = await gateway.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/);
      const run = await roar(['gen-token', '--user', 'mod-1', '--roles', 'moderator:cli'], {
        ROAR_JWT_SECRET: SECRET,
      });
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, {
        token: run.stdout.trim(),
      });
      try {
        const welcome = await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
        expect(welcome).toMatchObject({ user: { id: 'mod-1' } });
        expect(await client.request({ type: 'join', stream: 'cli' })).toMatchObject({
          type: 'joined',
        });
        expect(await client.request({ type: 'chat', stream: 'cli', text: 'hi' })).toMatchObject({
          type: 'ack',
        });
        await client.waitForMessage(
          (m) =>
            m.type === 'batch' &&
            m.events.some(
              (e) =>
                e.type === 'chat' && e.user.id === 'mod-1' && e.user.roles?.includes('moderator'),
            ),
          5000,
          'the chat with a moderator badge',
        );
      } finally {
        client.terminate();
      }
    } finally {
      await gateway.stop('SIGKILL');
    }
  });
});
