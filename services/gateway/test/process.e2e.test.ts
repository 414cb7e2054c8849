import { CloseCode } from '@roar/protocol';
import { ManagedProcess, TestClient } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function startProcess(env: Record<string, string>): ManagedProcess {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  return new ManagedProcess(process.execPath, [MAIN], {
    ...process.env,
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ...env,
  });
}

describe('the gateway process', () => {
  it('starts embedded, serves health, metrics and the demo, and drains on SIGTERM', async () => {
    const proc = startProcess({});
    try {
      const [, port] = await proc.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const name of [
        'roar_connections',
        'roar_frames_in_total',
        'roar_chat_total',
        'nodejs_eventloop_lag_p99_seconds',
      ]) {
        expect(metrics).toContain(name);
      }
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('Roar demo');
      // Dev login is on in embedded mode without a key, so the demo works out of the box, and
      // the log says so loudly.
      await proc.waitForOutput(/\*\*\* DEV LOGIN IS ON/);
      const login = await fetch(`${base}/dev/token`, {
        method: 'POST',
        body: JSON.stringify({ name: 'Asha' }),
      });
      const { token } = (await login.json()) as { token: string };
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, { token });
      await client.waitForMessage((m) => m.type === 'welcome');

      proc.child.kill('SIGTERM');
      expect((await client.closed).code).toBe(CloseCode.ServerRestart);
      expect(await proc.exited).toBe(0);
    } finally {
      await proc.stop('SIGKILL');
    }
  });

  it('refuses bad configuration with a message naming the variable', async () => {
    const proc = startProcess({ ROAR_TICK_MS: 'fast' });
    expect(await proc.exited).toBe(2);
    expect(proc.output).toContain('ROAR_TICK_MS must be an integer');
    const typo = startProcess({ ROAR_TIKC_MS: '50' });
    expect(await typo.exited).toBe(2);
    expect(typo.output).toContain('ROAR_TIKC_MS');
  });

  it('does not offer dev login when a key is configured', async () => {
    const proc = startProcess({ ROAR_JWT_SECRET: 'a-production-secret-of-at-least-32-chars' });
    try {
      const [, port] = await proc.waitForOutput(/"port":(\d+)/);
      const login = await fetch(`http://127.0.0.1:${port}/dev/token`, {
        method: 'POST',
        body: '{"name":"x"}',
      });
      expect(login.status).toBe(404);
    } finally {
      await proc.stop();
    }
  });
});
