import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROUTES } from './admin-http.js';

const OPENAPI = new URL('../../../docs/openapi.yaml', import.meta.url);

describe('the webhook admin API', () => {
  it('serves exactly the /webhooks/v1 operations docs/openapi.yaml documents', () => {
    const doc = parse(readFileSync(OPENAPI, 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/webhooks/v1/'))
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({
          op: `${method.toUpperCase()} ${path}`,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        })),
      )
      .sort((a, b) => a.op.localeCompare(b.op));
    const served = ROUTES.map((r) => ({
      op: `${r.method} ${r.template}`,
      query: [...r.query],
    })).sort((a, b) => a.op.localeCompare(b.op));
    expect(served).toEqual(documented);
  });
});
