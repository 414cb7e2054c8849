import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { READYZ, ROUTES, startAdminServer } from './admin-http.js';
import { DeadLetters, MemoryDeadLetterJournal } from './dead-letters.js';
import { WebhookMetrics } from './metrics.js';
import { readiness } from './readiness.js';

const OPENAPI = new URL('../../../docs/openapi.yaml', import.meta.url);

type Op = {
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string }[];
};

describe('the webhook admin API', () => {
  it('serves exactly the operations docs/openapi.yaml tags "webhooks"', () => {
    const doc = parse(readFileSync(OPENAPI, 'utf8')) as {
      paths: Record<string, Record<string, Op>>;
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.tags?.includes('webhooks'))
          .map(([method, op]) => ({
            op: `${method.toUpperCase()} ${path}`,
            query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
            // Only the probe is open: an orchestrator sends no key.
            open: op.security?.length === 0,
          })),
      )
      .sort((a, b) => a.op.localeCompare(b.op));
    const served = [
      ...ROUTES.map((r) => ({ op: `${r.method} ${r.template}`, query: [...r.query], open: false })),
      { op: `${READYZ.method} ${READYZ.template}`, query: [], open: true },
    ].sort((a, b) => a.op.localeCompare(b.op));
    expect(served).toEqual(documented);
  });

  it('answers /readyz 200 when every part is ready, else 503 saying what is missing', async () => {
    // What the service's parts say, changed by the test between requests.
    const parts: {
      nats: boolean;
      deadLetters: { ready: boolean };
      feeds: { endpoint: string; feed: { ready: boolean } }[];
    } = {
      nats: true,
      deadLetters: { ready: true },
      feeds: [
        { endpoint: 'app', feed: { ready: true } },
        { endpoint: 'crm', feed: { ready: true } },
      ],
    };
    const journal = new MemoryDeadLetterJournal();
    const server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      keys: [],
      dispatchers: [],
      deadLetters: await DeadLetters.open(10, journal),
      metrics: new WebhookMetrics(),
      readiness: () => readiness(parts),
      onError: (error) => {
        throw error;
      },
    });
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      return { status: res.status, body: (await res.json()) as unknown };
    };
    try {
      expect(await get()).toEqual({
        status: 200,
        body: { nats: true, deadLetters: true, feeds: { app: true, crm: true }, missing: [] },
      });

      parts.feeds[1]!.feed = { ready: false };
      expect(await get()).toEqual({
        status: 503,
        body: {
          nats: true,
          deadLetters: true,
          feeds: { app: true, crm: false },
          missing: ['endpoint crm: its consumer is not open since the last (re)connect'],
        },
      });

      parts.nats = false;
      parts.deadLetters = { ready: false };
      const down = await get();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        nats: false,
        deadLetters: false,
        missing: [
          'NATS is disconnected',
          'the dead-letter journal is not open',
          'endpoint crm: its consumer is not open since the last (re)connect',
        ],
      });

      const query = await fetch(`http://127.0.0.1:${server.port}/readyz?verbose=1`);
      expect(query.status).toBe(400);
      // No key needed (a probe), and only GET.
      const post = await fetch(`http://127.0.0.1:${server.port}/readyz`, { method: 'POST' });
      expect(post.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
