import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';
import { moderationSetup, say, useOpenApi } from './moderation-harness.js';

const openApi = useOpenApi();

interface Window {
  events: { type: string; id: string; data: Record<string, unknown> }[];
  buckets: { url: string; version: number }[];
}

describe('replay over the embedded (memory) log', () => {
  it('replays accepted chat and reaction bursts, and drops a message deleted afterwards', async () => {
    const { server, call, modToken } = await moderationSetup(openApi(), {
      ROAR_REACTION_BURST: '50',
    });
    await using _ = server;
    const api = openApi();
    // A minute back: the test shares the gateway's event loop, and a loop held past the stall
    // threshold here (setup, schema checks on a loaded machine) makes the gateway time chat read
    // within the grace after it as sent during it (`StallWatch`), up to a few seconds earlier.
    const started = Date.now() - 60_000;
    const a = await server.viewer('s', { user: 'a' });
    const kept = await say(a, 'worth keeping');
    const rude = await say(a, 'rude thing');
    for (let i = 0; i < 5; i++) a.send({ type: 'react', stream: 's', emoji: '🔥' });
    const rudeId = rude.type === 'ack' ? rude.id : '';
    const keptId = kept.type === 'ack' ? kept.id : '';
    const get = async (): Promise<Window> => {
      const path = `/v1/streams/s/replay?from=${started - 1000}&to=${Date.now() + 1000}`;
      const res = await fetch(`${server.httpUrl}${path}`);
      const body: unknown = await res.json();
      api.checkResponse('GET', path, res.status, body);
      expect(res.status).toBe(200);
      return body as Window;
    };
    await waitFor(async () => (await get()).events.some((e) => e.type === 'reactions.burst'), {
      timeoutMs: 5000,
      message: 'a reaction burst in the replay',
    });
    const before = await get();
    const chat = before.events.filter((e) => e.type === 'chat.published');
    expect(chat.map((e) => [e.id, e.data.text])).toEqual([
      [keptId, 'worth keeping'],
      [rudeId, 'rude thing'],
    ]);
    expect(before.events.find((e) => e.type === 'reactions.burst')?.data.counts).toEqual({
      '🔥': 5,
    });
    expect(
      (await call('DELETE', `/admin/v1/streams/s/messages/${rudeId}`, { token: modToken })).status,
    ).toBe(200);
    // The deletion index is refreshed at most every 2 s: within that, the message is gone.
    await waitFor(async () => !(await get()).events.some((e) => e.id === rudeId), {
      timeoutMs: 5000,
      message: 'the deleted message gone from the replay',
    });
    const after = await get();
    expect(after.events.some((e) => e.id === keptId)).toBe(true);
    expect(after.buckets.some((b) => b.version > 0)).toBe(true);
  });

  it('logs a held message when it is released, and never one deleted while held', async () => {
    const { server, call, modToken } = await moderationSetup(openApi());
    await using _ = server;
    await call('PATCH', '/admin/v1/streams/s/settings', { token: modToken, body: { holdS: 1 } });
    const started = Date.now() - 60_000; // as above
    const a = await server.viewer('s', { user: 'a' });
    const keep = await say(a, 'nice shot');
    const drop = await say(a, 'spoiler alert');
    expect(keep).toMatchObject({ held: true });
    const dropId = drop.type === 'ack' ? drop.id : '';
    await call('DELETE', `/admin/v1/streams/s/messages/${dropId}`, { token: modToken });
    const texts = async (): Promise<string[]> => {
      const res = await fetch(
        `${server.httpUrl}/v1/streams/s/replay?from=${started - 1000}&to=${Date.now() + 1000}`,
      );
      const body = (await res.json()) as Window;
      return body.events.filter((e) => e.type === 'chat.published').map((e) => String(e.data.text));
    };
    await waitFor(async () => (await texts()).includes('nice shot'), {
      timeoutMs: 5000,
      message: 'the released message in the replay',
    });
    expect(await texts()).toEqual(['nice shot']);
  });

  it('is not mounted when the log is off', async () => {
    await using server = await startServer({ ROAR_LOG: 'off' });
    const res = await fetch(`${server.httpUrl}/v1/streams/s/replay?from=0&to=1000`);
    expect(res.status).toBe(404);
  });
});
