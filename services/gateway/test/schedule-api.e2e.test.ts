// Issue 18: the schedule's admin API, warm-up on an embedded gateway, the scale signal and the
// planned chat policy switching on and off by itself.
import { describe, expect, it } from 'vitest';
import { waitFor } from '@roar/testkit';
import { API_KEY, moderationSetup, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();
const setup = () => moderationSetup(openApi());
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

describe('schedule admin API', () => {
  it('refuses unauthorised callers: 401 without credentials, 403 for a moderator', async () => {
    const { server, call, modToken } = await setup();
    await using _ = server;
    const body = { startAt: iso(Date.now() + HOUR), expectedViewers: 1000 };
    for (const [method, path] of [
      ['GET', '/admin/v1/schedule'],
      ['GET', '/admin/v1/streams/s/schedule'],
      ['PUT', '/admin/v1/streams/s/schedule'],
      ['DELETE', '/admin/v1/streams/s/schedule'],
    ] as const) {
      const withBody = method === 'PUT' ? { body } : {};
      expect((await call(method, path, withBody)).status, `${method} ${path}`).toBe(401);
      const mod = await call(method, path, { ...withBody, token: modToken });
      expect(mod.status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', '/admin/v1/schedule', { apiKey: API_KEY })).body).toEqual({
      events: [],
    });
  });

  it('refuses bad plans with invalid_field naming the problem, and stores nothing', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const now = Date.now();
    const cases: [Record<string, unknown>, string][] = [
      [{ startAt: iso(now - 60_000), expectedViewers: 10 }, 'startAt is in the past'],
      [{ startAt: iso(now + 400 * 24 * HOUR), expectedViewers: 10 }, 'more than a year'],
      [{ startAt: iso(now + HOUR), expectedViewers: 100_000_001 }, 'expectedViewers'],
      [{ startAt: iso(now + HOUR), expectedViewers: 0 }, 'expectedViewers'],
      [{ startAt: iso(now + HOUR), expectedViewers: 2.5 }, 'expectedViewers'],
      [{ startAt: iso(now + HOUR), warmAt: iso(now + 2 * HOUR), expectedViewers: 9 }, 'warmAt'],
      [{ startAt: iso(now + 20 * HOUR), warmAt: iso(now), expectedViewers: 9 }, '12 h'],
      [{ startAt: iso(now + HOUR), endAt: iso(now + HOUR), expectedViewers: 9 }, 'endAt'],
      [{ startAt: iso(now + HOUR), endAt: iso(now + 30 * HOUR), expectedViewers: 9 }, '24 h'],
      [{ startAt: iso(now + HOUR), expectedViewers: 9, policy: { slowModeS: -1 } }, 'slowMode'],
      [{ startAt: iso(now + HOUR), expectedViewers: 9, policy: { sudo: true } }, ''],
      [{ startAt: '2030-01-01 10:00', expectedViewers: 9 }, 'startAt'],
      [{ startAt: iso(now + HOUR), expectedViewers: 9, gateways: ['a b'] }, ''],
      [{ startAt: iso(now + HOUR), expectedViewers: 9, extra: 1 }, ''],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(`${server.httpUrl}/admin/v1/streams/s/schedule`, {
        method: 'PUT',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const reply = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(reply.error.code).toBe('invalid_field');
      expect(reply.error.message).toContain(message);
    }
    // A stream id that is not one (the document's pattern), and streams with nothing scheduled.
    const bad = await fetch(`${server.httpUrl}/admin/v1/streams/a%7Bb/schedule`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(bad.status).toBe(400);
    expect((await call('GET', '/admin/v1/streams/none/schedule', { apiKey: API_KEY })).status).toBe(
      404,
    );
    const cancel = await call('DELETE', '/admin/v1/streams/none/schedule', { apiKey: API_KEY });
    expect(cancel.status).toBe(404);
    expect((await call('GET', '/admin/v1/schedule', { apiKey: API_KEY })).body).toEqual({
      events: [],
    });
  });

  it('schedules, warms without counting a viewer, signals scale, audits, and cancels', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const gateway = server.embedded.gateway;
    const startAt = Date.now() + HOUR;
    const put = await call('PUT', '/admin/v1/streams/final/schedule', {
      apiKey: API_KEY,
      body: { startAt: iso(startAt), warmAt: iso(Date.now() - 1000), expectedViewers: 190_000 },
    });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ event: { stream: 'final', phase: 'warming', by: 'key:ops' } });

    await waitFor(() => gateway.registry.get('final') !== undefined, {
      timeoutMs: 5000,
      message: 'the stream held for warm-up',
    });
    const state = gateway.registry.get('final');
    expect(state?.viewers).toBe(0);
    expect(gateway.registry.warmed().has('final')).toBe(true);
    await state?.ready;
    const viewers = await fetch(`${server.httpUrl}/v1/streams/final/viewers`);
    expect(((await viewers.json()) as { total: number }).total).toBe(0);

    const scale = (await (await fetch(`${server.httpUrl}/v1/scale`)).json()) as {
      expectedViewers: number;
      gatewaysNeeded: number;
      events: { stream: string; phase: string }[];
    };
    // Warm-up began a second ago and the ramp reaches the peak 10 minutes before a start an
    // hour away: a little more than nothing, far less than the peak.
    expect(scale.expectedViewers).toBeGreaterThan(0);
    expect(scale.expectedViewers).toBeLessThan(1000);
    expect(scale.gatewaysNeeded).toBe(1);
    expect(scale.events).toEqual([expect.objectContaining({ stream: 'final', phase: 'warming' })]);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^roar_scheduled_warm_streams\S* 1$/m);
    expect(metrics).toMatch(/^roar_scheduled_gateways_needed\S* 1$/m);

    const again = await call('PUT', '/admin/v1/streams/final/schedule', {
      apiKey: API_KEY,
      body: { startAt: iso(startAt), expectedViewers: 200_000, gateways: ['elsewhere'] },
    });
    expect(again.status).toBe(200);
    // Named other gateways: this one lets go.
    await waitFor(() => !gateway.registry.warmed().has('final'), {
      timeoutMs: 5000,
      message: 'warm-up moved to the named gateways',
    });
    const list = await call('GET', '/admin/v1/schedule', { apiKey: API_KEY });
    expect(list.body).toMatchObject({ events: [{ stream: 'final', expectedViewers: 200_000 }] });

    expect(
      (await call('DELETE', '/admin/v1/streams/final/schedule', { apiKey: API_KEY })).status,
    ).toBe(200);
    const audit = await call('GET', '/admin/v1/streams/final/audit', { apiKey: API_KEY });
    const actions = (audit.body as { entries: { action: string }[] }).entries.map((e) => e.action);
    expect(actions).toEqual(['unschedule', 'schedule', 'schedule']);
  });

  it('switches the planned chat policy on at the start and off at the end, audited', async () => {
    const { server, call } = await setup();
    await using _ = server;
    const viewer = await server.viewer('match');
    const now = Date.now();
    const put = await call('PUT', '/admin/v1/streams/match/schedule', {
      apiKey: API_KEY,
      body: {
        startAt: iso(now + 1500),
        endAt: iso(now + 3500),
        expectedViewers: 5000,
        policy: { slowModeS: 7, subscribersOnly: true },
      },
    });
    expect(put.status).toBe(201);
    const settings = async () =>
      (
        (await call('GET', '/admin/v1/streams/match/settings', { apiKey: API_KEY })).body as {
          settings: { slowModeS: number; subscribersOnly: boolean };
        }
      ).settings;
    await waitFor(async () => (await settings()).slowModeS === 7, {
      timeoutMs: 8000,
      message: 'the policy switched on',
    });
    expect(Date.now()).toBeGreaterThanOrEqual(now + 1500);
    expect((await settings()).subscribersOnly).toBe(true);
    await waitFor(
      () => viewer.eventsOf('match', 'settings').some((e) => e.settings.slowModeS === 7),
      {
        timeoutMs: 5000,
        message: 'viewers told of the policy',
      },
    );
    await waitFor(async () => (await settings()).slowModeS === 0, {
      timeoutMs: 8000,
      message: 'the policy switched off',
    });
    expect(Date.now()).toBeGreaterThanOrEqual(now + 3500);
    expect((await settings()).subscribersOnly).toBe(false);
    const audit = await call('GET', '/admin/v1/streams/match/audit', { apiKey: API_KEY });
    const entries = (audit.body as { entries: { action: string; actor: string }[] }).entries;
    const switches = entries.filter((e) => e.action === 'settings');
    expect(switches).toHaveLength(2);
    for (const e of switches) expect(e.actor).toMatch(/^schedule:gw-/);
  });
});
