import { ErrorCode, StateLimits, type StateEvent } from '@roar/protocol';
import type { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { token } from './harness.js';
import { API_KEY, moderationSetup, useOpenApi } from './moderation-harness.js';
import { stateView } from './state-view.js';

const api = useOpenApi();
const states = (c: TestClient, stream = 's'): StateEvent[] => c.eventsOf(stream, 'state');
const view = (c: TestClient, stream = 's') => stateView(c, stream);

describe('live widgets (embedded)', () => {
  it('lets a broadcaster set, patch and delete keys over WebSocket, conditional and idempotent', async () => {
    const { server } = await moderationSetup(api());
    await using _ = server;
    const viewer = await server.viewer('s', { user: 'v' });
    const caster = await server.connect({ user: 'b', roles: ['broadcaster:s'] });
    await caster.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');

    const set = await caster.request({
      type: 'widget',
      stream: 's',
      key: 'score',
      op: 'set',
      value: { home: 0, away: 0 },
      ifVersion: 0,
      idempotencyKey: 'first',
    });
    expect(set).toMatchObject({ type: 'ack', version: expect.any(Number) });
    const v1 = (set as { version: number }).version;
    // The retry of a write that went through: the first result, nothing written again.
    const retry = await caster.request({
      type: 'widget',
      stream: 's',
      key: 'score',
      op: 'set',
      value: { home: 0, away: 0 },
      ifVersion: 0,
      idempotencyKey: 'first',
    });
    expect(retry).toMatchObject({ type: 'ack', version: v1, replayed: true });
    expect(
      await caster.request({
        type: 'widget',
        stream: 's',
        key: 'score',
        op: 'set',
        value: 1,
        ifVersion: 0,
      }),
    ).toMatchObject({ type: 'error', code: ErrorCode.VersionConflict, version: v1 });
    const patched = await caster.request({
      type: 'widget',
      stream: 's',
      key: 'score',
      op: 'patch',
      value: { home: 1 },
      ifVersion: v1,
    });
    expect(patched).toMatchObject({ type: 'ack', version: v1 + 1 });
    await viewer.waitForMessage(
      () => JSON.stringify(view(viewer).get('score')?.value) === '{"home":1,"away":0}',
      5000,
      'the patched score',
    );
    await caster.request({ type: 'widget', stream: 's', key: 'over', op: 'set', value: '12.3' });
    await caster.request({ type: 'widget', stream: 's', key: 'over', op: 'delete' });
    expect(
      await caster.request({ type: 'widget', stream: 's', key: 'over', op: 'delete' }),
    ).toMatchObject({ type: 'error', code: ErrorCode.NotFound });
    await viewer.waitForMessage(
      () => states(viewer).some((e) => e.changes.over?.deleted === true),
      5000,
      'the delete',
    );
    expect([...view(viewer).keys()]).toEqual(['score']);
  });

  it('refuses viewers, bad keys, oversize values and a key too many, with typed errors', async () => {
    const { server, call } = await moderationSetup(api());
    await using _ = server;
    const viewer = await server.viewer('s', { user: 'v' });
    expect(
      await viewer.request({ type: 'widget', stream: 's', key: 'score', op: 'set', value: 1 }),
    ).toMatchObject({ code: ErrorCode.Forbidden });
    const anon = await server.viewer('s');
    expect(
      await anon.request({ type: 'widget', stream: 's', key: 'score', op: 'set', value: 1 }),
    ).toMatchObject({ code: ErrorCode.Unauthenticated });
    const caster = await server.viewer('s', { user: 'b', roles: ['broadcaster:s'] });
    const bad = [
      [{ key: '-x', op: 'set', value: 1 }, ErrorCode.InvalidField],
      [
        { key: 'k', op: 'set', value: 'x'.repeat(StateLimits.valueMaxBytes) },
        ErrorCode.StateValueTooLarge,
      ],
      [{ key: 'k', op: 'set', value: [[[[[[[[[1]]]]]]]]] }, ErrorCode.StateValueTooLarge],
      [{ key: 'k', op: 'patch', value: 3 }, ErrorCode.InvalidField],
      [{ key: 'k', op: 'delete', value: 3 }, ErrorCode.InvalidField],
      [{ key: 'k', op: 'upsert', value: 3 }, ErrorCode.InvalidField],
      [{ key: 'k', op: 'set' }, ErrorCode.InvalidField],
    ] as const;
    for (const [fields, code] of bad) {
      const reply = await caster.request({ type: 'widget', stream: 's', ...fields } as never);
      expect(reply, JSON.stringify(fields).slice(0, 60)).toMatchObject({ type: 'error', code });
    }
    for (let i = 0; i < StateLimits.keysPerStream; i++) {
      const r = await call('PUT', `/admin/v1/streams/s/state/k${i}`, {
        apiKey: API_KEY,
        body: { value: i },
      });
      expect(r.status).toBe(200);
    }
    const full = await call('PUT', '/admin/v1/streams/s/state/one-more', {
      apiKey: API_KEY,
      body: { value: 1 },
    });
    expect(full).toMatchObject({
      status: 409,
      body: { error: { code: ErrorCode.StateTooManyKeys } },
    });
    const big = await call('PUT', '/admin/v1/streams/s/state/k0', {
      apiKey: API_KEY,
      body: { value: { text: 'é'.repeat(StateLimits.valueMaxBytes) } },
    });
    expect(big).toMatchObject({
      status: 413,
      body: { error: { code: ErrorCode.StateValueTooLarge } },
    });
  });

  it('serves the admin API: read, set with ifVersion, idempotent retries, patch, delete', async () => {
    const { server, call, modToken } = await moderationSetup(api());
    await using _ = server;
    const viewer = await server.viewer('s', { user: 'v' });
    const put = await call('PUT', '/admin/v1/streams/s/state/score', {
      apiKey: API_KEY,
      body: { value: { runs: 10 }, ifVersion: 0 },
      headers: { 'idempotency-key': 'ball-1' },
    });
    expect(put).toMatchObject({ status: 200, body: { key: 'score', replayed: false } });
    const version = (put.body as { version: number }).version;
    const again = await call('PUT', '/admin/v1/streams/s/state/score', {
      apiKey: API_KEY,
      body: { value: { runs: 10 }, ifVersion: 0 },
      headers: { 'idempotency-key': 'ball-1' },
    });
    expect(again).toEqual({ status: 200, body: { key: 'score', version, replayed: true } });
    const stale = await call('PUT', '/admin/v1/streams/s/state/score', {
      token: modToken,
      body: { value: { runs: 11 }, ifVersion: version - 1 },
    });
    expect(stale).toMatchObject({
      status: 409,
      body: { error: { code: 'version_conflict', version } },
    });
    const patch = await call('PATCH', '/admin/v1/streams/s/state/score', {
      token: modToken,
      body: { value: { wickets: 2 } },
    });
    expect(patch).toMatchObject({ status: 200, body: { version: version + 1 } });
    const read = await call('GET', '/admin/v1/streams/s/state', { apiKey: API_KEY });
    expect(read).toMatchObject({
      status: 200,
      body: {
        version: version + 1,
        keys: { score: { version: version + 1, value: { runs: 10, wickets: 2 } } },
      },
    });
    const outsider = await call('PUT', '/admin/v1/streams/s/state/score', {
      token: await token('x', { roles: ['moderator:other'] }),
      body: { value: 1 },
    });
    expect(outsider.status).toBe(403);
    const del = await call('DELETE', `/admin/v1/streams/s/state/score?ifVersion=${version + 1}`, {
      apiKey: API_KEY,
    });
    expect(del).toMatchObject({ status: 200, body: { version: version + 2 } });
    expect(
      await call('DELETE', '/admin/v1/streams/s/state/score', { apiKey: API_KEY }),
    ).toMatchObject({
      status: 404,
    });
    const audit = await call('GET', '/admin/v1/streams/s/audit', { apiKey: API_KEY });
    expect(JSON.stringify(audit.body)).toContain('state.delete');
    await viewer.waitForMessage(
      () => view(viewer).size === 0 && states(viewer).length > 0,
      5000,
      'gone',
    );
  });

  it('sends a snapshot on join, and on a rejoin with stateVersion only the keys changed since', async () => {
    const { server, call } = await moderationSetup(api());
    await using _ = server;
    const put = async (key: string, value: unknown): Promise<number> => {
      const r = await call('PUT', `/admin/v1/streams/s/state/${key}`, {
        apiKey: API_KEY,
        body: { value },
      });
      return (r.body as { version: number }).version;
    };
    await put('score', '0/0');
    await put('over', 1);
    const first = await server.viewer('s', { user: 'v1' });
    await first.waitForMessage(() => states(first).length > 0, 5000, 'the snapshot');
    const snapshot = states(first)[0] as StateEvent;
    expect(snapshot).toMatchObject({
      snapshot: true,
      changes: { score: { value: '0/0' }, over: { value: 1 } },
    });
    const held = snapshot.version;

    await put('score', '4/0');
    await call('DELETE', '/admin/v1/streams/s/state/over', { apiKey: API_KEY });
    await put('prob', 0.61);
    const current = await put('prob', 0.62);
    const back = await server.connect({ user: 'v1' });
    await back.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    await back.request({ type: 'join', stream: 's', stateVersion: held });
    await back.waitForMessage(() => states(back).length > 0, 5000, 'the delta');
    const delta = states(back)[0] as StateEvent;
    expect(delta.snapshot).toBeUndefined();
    expect(delta.version).toBe(current);
    expect(Object.keys(delta.changes).sort()).toEqual(['over', 'prob', 'score']);
    expect(delta.changes.over?.deleted).toBe(true);
    expect(delta.changes.prob?.value).toBe(0.62);

    // Current already: nothing; from the future (a state lost and begun again): a snapshot. The
    // changes up to `current` are first out to the stream's viewers: a joiner while they still
    // wait for their frame gets them once more (protocol.md: the same change can arrive twice).
    await first.waitForMessage(
      () => states(first).some((e) => e.version >= current),
      5000,
      'every change out',
    );
    const same = await server.connect({ user: 'v2' });
    await same.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    await same.request({ type: 'join', stream: 's', stateVersion: current });
    const ahead = await server.connect({ user: 'v3' });
    await ahead.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    await ahead.request({ type: 'join', stream: 's', stateVersion: current + 1000 });
    await ahead.waitForMessage(() => states(ahead).length > 0, 5000, 'a snapshot');
    expect(states(ahead)[0]).toMatchObject({ snapshot: true, version: current });
    await put('score', '5/0');
    await same.waitForMessage(() => states(same).length > 0, 5000, 'the next change');
    expect(states(same)).toHaveLength(1);
    expect(Object.keys((states(same)[0] as StateEvent).changes)).toEqual(['score']);
  });
});
