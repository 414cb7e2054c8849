import { describe, expect, it } from 'vitest';
import { adminRoutes, type AdminApiOptions } from './admin-api.js';
import { AdminSpec } from './admin-spec.js';
import { scheduleRoutes, type ScheduleRoutesOptions } from '../scheduled/schedule-routes.js';
import type { AdminRoute } from './admin-router.js';
import { pollRoutes } from '../features/polls/poll-routes.js';
import type { PollDesk } from '../features/polls/poll-desk.js';
import { qaRoutes } from '../features/qa/qa-routes.js';
import type { QaCommandDeps } from '../features/qa/qa-actions.js';
import { stateRoutes } from '../features/widgets/state-routes.js';
import type { StateService } from '../features/widgets/state-service.js';

const spec = AdminSpec.load();

/** The admin routes with nothing behind them: only their table is looked at. */
function routes() {
  return [
    ...adminRoutes({
      spec,
      allowedOrigins: undefined,
      level: () => ({ level: 0, pinned: null }),
      // The stream features' route modules, as their `routes` hooks add them in the gateway.
      featureRoutes: (route: AdminRoute) => [
        ...stateRoutes(route, {} as StateService),
        ...qaRoutes(route, {} as QaCommandDeps),
        ...pollRoutes(route, {} as PollDesk),
      ],
    } as unknown as AdminApiOptions),
    // The schedule's routes are a module of their own, mounted beside these (scheduled/).
    ...scheduleRoutes({ spec, allowedOrigins: undefined } as unknown as ScheduleRoutesOptions),
  ];
}

const request = (body: string, type = 'application/json') => ({
  params: { stream: 's' },
  query: new URLSearchParams(),
  header: (name: string) => (name === 'content-type' ? type : undefined),
  body: new TextEncoder().encode(body),
});

describe('AdminSpec', () => {
  it('has one route for every admin operation of the document, and no other', () => {
    const served = routes()
      .filter((r) => r.method !== 'options')
      .map(
        (r) =>
          `${r.method === 'del' ? 'delete' : r.method} ${r.pattern.replace(/:(\w+)/g, '{$1}')}`,
      )
      .sort();
    const documented = spec
      .operations('/admin/v1/')
      .map((o) => `${o.method} ${o.template}`)
      .sort();
    expect(served).toEqual(documented);
  });

  it('sizes each body limit from its schema: the largest settings patch fits', () => {
    const patch = spec.operation('patch', '/admin/v1/streams/:stream/settings');
    // 500 terms of 64 emoji, every one written as a \u surrogate pair (Python's json.dumps).
    const emoji = '\\ud83c\\udfcf'.repeat(64);
    const largest = `{"bannedTerms":[${Array.from({ length: 500 }, () => `"${emoji}"`).join(',')}]}`;
    expect(largest.length).toBeGreaterThan(380_000);
    expect(patch.maxBodyBytes).toBeGreaterThanOrEqual(largest.length);
    expect(patch.check(request(largest)).ok).toBe(true);
    // Bodies with no long fields keep small limits.
    expect(spec.operation('put', '/admin/v1/degradation').maxBodyBytes).toBeLessThan(2048);
    expect(
      spec.operation('post', '/admin/v1/streams/:stream/announcements').maxBodyBytes,
    ).toBeLessThan(16 * 1024);
  });

  it('refuses what the document does not describe, with the field named', () => {
    const announce = spec.operation('post', '/admin/v1/streams/:stream/announcements');
    expect(announce.check(request('{"text":"ok"}')).ok).toBe(true);
    expect(announce.check(request('{"text":"ok"}', 'text/plain'))).toMatchObject({ status: 415 });
    expect(announce.check(request('{"text":""}'))).toMatchObject({
      status: 400,
      code: 'invalid_field',
      message: expect.stringContaining('text'),
    });
    expect(announce.check(request('{"text":"a","b":1}'))).toMatchObject({
      message: 'unknown field "b"',
    });
    expect(announce.check(request('[1]'))).toMatchObject({ code: 'bad_frame' });
    expect(announce.check(request('{"text":'))).toMatchObject({ code: 'bad_frame' });
    const bad = { ...request('{"text":"a"}'), params: { stream: 'a.b' } };
    expect(announce.check(bad)).toMatchObject({ code: 'invalid_stream' });
  });

  it('coerces query parameters and fills the documented defaults', () => {
    const audit = spec.operation('get', '/admin/v1/streams/:stream/audit');
    const none = audit.check({ ...request(''), query: new URLSearchParams() });
    expect(none).toMatchObject({ ok: true, request: { query: { limit: 50 } } });
    const ten = audit.check({ ...request(''), query: new URLSearchParams('limit=10&before=x') });
    expect(ten).toMatchObject({ ok: true, request: { query: { limit: 10, before: 'x' } } });
    const twice = audit.check({ ...request(''), query: new URLSearchParams('limit=1&limit=2') });
    expect(twice.ok).toBe(false);
  });

  it('compiles once and checks a request in microseconds', () => {
    const started = performance.now();
    AdminSpec.compile();
    const compile = performance.now() - started;
    expect(AdminSpec.load()).toBe(AdminSpec.load());
    const ban = spec.operation('post', '/admin/v1/streams/:stream/bans');
    const req = request('{"userId":"u1","reason":"spam","seconds":60}');
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) if (!ban.check(req).ok) throw new Error('refused');
    const perCheckUs = ((performance.now() - t0) * 1000) / 10_000;
    // Generous bounds for a loaded machine: measured 0.6–1.2 s and about 11 µs at load 12 on 2 cores.
    expect(compile).toBeLessThan(5000);
    expect(perCheckUs).toBeLessThan(100);
  });
});
