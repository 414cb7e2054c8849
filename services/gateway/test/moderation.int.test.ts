import { ErrorCode } from '@roar/protocol';
import { NatsServer, RedisServer, waitFor, type TestClient } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from './admin-client.js';
import { aggregatorInProcess, clusterEnv, gatewayInProcess } from './cluster-harness.js';
import { token } from './harness.js';
import { OpenApi } from './openapi.js';

let nats: NatsServer;
let redis: RedisServer;
let api: OpenApi;
beforeAll(async () => {
  [nats, redis, api] = await Promise.all([NatsServer.start(), RedisServer.start(), OpenApi.load()]);
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
  await redis[Symbol.asyncDispose]();
});

const texts = (c: TestClient): string[] => c.eventsOf('s', 'chat').map((e) => e.text);

/** Retries `send` until it gets the expected error code (enforcement reaching the other gateway). */
async function refusedWithin(
  c: TestClient,
  text: string,
  code: string,
  ms: number,
): Promise<number> {
  const started = Date.now();
  await waitFor(
    async () => {
      const reply = await c.request({ type: 'chat', stream: 's', text: `${text} ${Date.now()}` });
      return reply.type === 'error' && reply.code === code;
    },
    { timeoutMs: ms, intervalMs: 50, message: `${code} on the other gateway` },
  );
  return Date.now() - started;
}

describe('moderation across two gateways over real NATS and Redis', () => {
  it('applies every action on the other gateway, enforces within a second, audits each', async () => {
    const prefix = `m${Date.now().toString(36)}`;
    const env = { ...clusterEnv(nats, redis, prefix), ROAR_CHAT_BURST: '50', ROAR_CHAT_RATE: '50' };
    await using agg = await aggregatorInProcess(nats, redis, prefix);
    await using a = await gatewayInProcess(env);
    await using b = await gatewayInProcess(env);
    const call = adminClient(`http://127.0.0.1:${a.port}`, api);
    const mod = await token('mod', { roles: ['moderator:s'] });
    const admin = await token('root', { roles: ['admin'] });
    const talker = await b.viewer('s', { user: 'talker' });
    const watcher = await b.viewer('s', { user: 'watcher' });

    // Delete, pin and clear: the viewers on B see them.
    const ack = await talker.request({ type: 'chat', stream: 's', text: 'delete me' });
    const id = ack.type === 'ack' ? (ack.id ?? '') : '';
    await watcher.waitForMessage(() => texts(watcher).includes('delete me'), 3000, 'delivered');
    expect(
      (await call('PUT', '/admin/v1/streams/s/pin', { token: mod, body: { messageId: id } }))
        .status,
    ).toBe(200);
    await watcher.waitForMessage(() => watcher.eventsOf('s', 'pin').length === 1, 3000, 'pin on B');
    expect(
      (await call('DELETE', `/admin/v1/streams/s/messages/${id}`, { token: mod })).status,
    ).toBe(200);
    await watcher.waitForMessage(
      () => watcher.eventsOf('s', 'delete').some((e) => e.id === id),
      3000,
      'delete on B',
    );
    expect(
      (
        await call('POST', '/admin/v1/streams/s/announcements', {
          token: mod,
          body: { text: 'Innings break' },
        })
      ).status,
    ).toBe(201);
    await watcher.waitForMessage(
      () => watcher.eventsOf('s', 'announcement').length === 1,
      3000,
      'announcement on B',
    );

    // A timeout issued on A stops the talker on B within a second, and ends on time.
    expect(
      (
        await call('POST', '/admin/v1/streams/s/timeouts', {
          token: mod,
          body: { userId: 'talker', seconds: 2 },
        })
      ).status,
    ).toBe(201);
    const took = await refusedWithin(talker, 'during', ErrorCode.TimedOut, 1000);
    expect(took).toBeLessThan(1000);
    await waitFor(
      async () =>
        (await talker.request({ type: 'chat', stream: 's', text: `after ${Date.now()}` })).type ===
        'ack',
      {
        timeoutMs: 4000,
        intervalMs: 200,
        message: 'timeout ended',
      },
    );

    // Bans: stream, then global; unban.
    await call('POST', '/admin/v1/streams/s/bans', {
      token: mod,
      body: { userId: 'talker', reason: 'abuse' },
    });
    await refusedWithin(talker, 'banned', ErrorCode.Banned, 1000);
    await call('DELETE', '/admin/v1/streams/s/bans/talker', { token: mod });
    await waitFor(
      async () =>
        (await talker.request({ type: 'chat', stream: 's', text: `free ${Date.now()}` })).type ===
        'ack',
      {
        timeoutMs: 2000,
        message: 'unbanned on B',
      },
    );
    await call('POST', '/admin/v1/bans', { token: admin, body: { userId: 'talker' } });
    await refusedWithin(talker, 'global', ErrorCode.Banned, 1000);
    await call('DELETE', '/admin/v1/bans/talker', { token: admin });

    // Settings: slow mode set on A holds on B.
    await call('PATCH', '/admin/v1/streams/s/settings', { token: mod, body: { slowModeS: 60 } });
    await watcher.waitForMessage(
      () => watcher.eventsOf('s', 'settings').some((e) => e.settings.slowModeS === 60),
      3000,
      'settings on B',
    );
    await waitFor(
      async () =>
        (await watcher.request({ type: 'chat', stream: 's', text: `one ${Date.now()}` })).type ===
        'ack',
      {
        timeoutMs: 2000,
        message: 'first message',
      },
    );
    expect(await watcher.request({ type: 'chat', stream: 's', text: 'two' })).toMatchObject({
      code: ErrorCode.SlowMode,
    });

    // Held on B, approved on A, delivered on B.
    await call('PATCH', '/admin/v1/streams/s/settings', {
      token: mod,
      body: { slowModeS: 0, holdS: 600 },
    });
    await watcher.waitForMessage(
      () => watcher.eventsOf('s', 'settings').some((e) => e.settings.slowModeS === 0),
      3000,
      'settings 2',
    );
    const reader = await b.viewer('s', { user: 'reader' });
    const held = await reader.request({ type: 'chat', stream: 's', text: 'held on B' });
    expect(held).toMatchObject({ held: true });
    const heldId = held.type === 'ack' ? (held.id ?? '') : '';
    expect(
      (await call('POST', `/admin/v1/streams/s/held/${heldId}/approve`, { token: mod })).status,
    ).toBe(200);
    await watcher.waitForMessage(
      () => texts(watcher).includes('held on B'),
      3000,
      'approved message on B',
    );

    await call('POST', '/admin/v1/streams/s/clear', { token: mod, body: {} });
    await watcher.waitForMessage(
      () => watcher.eventsOf('s', 'clear').length === 1,
      3000,
      'clear on B',
    );

    const stream = (await call('GET', '/admin/v1/streams/s/audit?limit=100', { token: mod }))
      .body as { entries: { action: string }[] };
    expect(stream.entries.map((e) => e.action).reverse()).toEqual([
      'pin',
      'delete',
      'announce',
      'timeout',
      'ban',
      'unban',
      'settings',
      'settings',
      'approve',
      'clear',
    ]);
    const global = (await call('GET', '/admin/v1/audit', { token: admin })).body as {
      entries: { action: string }[];
    };
    expect(global.entries.map((e) => e.action).reverse()).toEqual(['ban', 'unban']);
    void agg;
  }, 60_000);

  it('rehydrates bans and settings when a gateway starts after they were set', async () => {
    const prefix = `r${Date.now().toString(36)}`;
    const env = clusterEnv(nats, redis, prefix);
    await using agg = await aggregatorInProcess(nats, redis, prefix);
    await using a = await gatewayInProcess(env);
    const call = adminClient(`http://127.0.0.1:${a.port}`, api);
    const mod = await token('mod', { roles: ['moderator:s'] });
    await call('POST', '/admin/v1/streams/s/bans', { token: mod, body: { userId: 'early' } });
    await call('PATCH', '/admin/v1/streams/s/settings', { token: mod, body: { emoteOnly: true } });
    await using late = await gatewayInProcess(env);
    const early = await late.viewer('s', { user: 'early' });
    const fan = await late.viewer('s', { user: 'fan' });
    expect(await early.request({ type: 'chat', stream: 's', text: '🔥' })).toMatchObject({
      code: ErrorCode.Banned,
    });
    expect(await fan.request({ type: 'chat', stream: 's', text: 'words' })).toMatchObject({
      code: ErrorCode.EmoteOnly,
    });
    expect(fan.messages.find((m) => m.type === 'joined')).toMatchObject({
      settings: { emoteOnly: true },
    });
    void agg;
  });
});
