import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN_OPERATIONS, AdminApiError, AdminClient } from './admin.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../scripts/gen-admin-api.mjs', import.meta.url));
const SPEC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));

describe('the admin client against docs/openapi.yaml', () => {
  it('is generated from the current document (gen-admin-api.mjs --check)', async () => {
    await expect(run(process.execPath, [SCRIPT, '--check'])).resolves.toBeDefined();
  }, 30_000);

  it('has every admin operation of the document, by operationId, method and path', () => {
    const doc = parse(readFileSync(SPEC, 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/v1/')) continue;
      for (const [method, op] of Object.entries(item)) {
        documented.push(`${op.operationId} ${method.toUpperCase()} ${path}`);
      }
    }
    const table = Object.entries(ADMIN_OPERATIONS).map(([id, o]) => `${id} ${o.method} ${o.path}`);
    expect(table.sort()).toEqual(documented.sort());
  });

  it('builds requests from the table and turns refusals into AdminApiError', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fake = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      if (init.method === 'DELETE')
        return new Response('{"error":{"code":"not_found","message":"no such ban"}}', {
          status: 404,
        });
      return new Response('{"ban":{}}', { status: 201 });
    }) as unknown as typeof fetch;
    const admin = new AdminClient({ baseUrl: 'http://gw.test/', apiKey: 'k', fetch: fake });
    await admin.call('timeoutUser', {
      stream: 'final',
      body: { userId: 'u 1', seconds: 60 },
      idempotencyKey: 'once',
    });
    expect(seen[0]?.url).toBe('http://gw.test/admin/v1/streams/final/timeouts');
    expect(seen[0]?.init).toMatchObject({
      method: 'POST',
      body: '{"userId":"u 1","seconds":60}',
      headers: { 'x-api-key': 'k', 'idempotency-key': 'once', 'content-type': 'application/json' },
    });
    const error = await admin.call('unbanUser', { stream: 'final', userId: 'a/b' }).catch((e) => e);
    expect(seen[1]?.url).toBe('http://gw.test/admin/v1/streams/final/bans/a%2Fb');
    expect(error).toBeInstanceOf(AdminApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });
});
