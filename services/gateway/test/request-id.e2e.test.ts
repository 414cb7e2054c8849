import { ManagedProcess } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const KEY = 'request-id-test-key-0123456789abcdefghij';

describe('admin API request ids', () => {
  it('echoes a sane X-Request-Id, mints one otherwise, and logs each request with it', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const gateway = new ManagedProcess(process.execPath, [MAIN], {
      ...process.env,
      ROAR_HOST: '127.0.0.1',
      ROAR_PORT: '0',
      ROAR_ADMIN_API_KEYS: `ops:${KEY}`,
    });
    try {
      const [, port] = await gateway.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/);
      const url = `http://127.0.0.1:${port}/admin/v1/degradation`;
      const given = await fetch(url, { headers: { 'x-api-key': KEY, 'x-request-id': 'lb-42.a' } });
      expect(given.status).toBe(200);
      expect(given.headers.get('x-request-id')).toBe('lb-42.a');

      const minted = await fetch(url, {
        headers: { 'x-api-key': KEY, 'x-request-id': 'not ok <script>' },
      });
      const id = minted.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      // Refused requests get an id too: they are the ones an operator looks for.
      const refused = await fetch(url, { headers: { 'x-request-id': 'no-key-1' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('x-request-id')).toBe('no-key-1');

      await gateway.waitForOutput(/"msg":"admin request".*"requestId":"lb-42\.a".*"status":200/);
      await gateway.waitForOutput(new RegExp(`"msg":"admin request".*"requestId":"${id}"`));
      await gateway.waitForOutput(/"msg":"admin request".*"requestId":"no-key-1".*"status":401/);
      expect(gateway.output).toMatch(/"requestId":"lb-42\.a"[^\n]*"actor":"key:ops"/);
    } finally {
      await gateway.stop('SIGKILL');
    }
  });
});
