import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { ChatEvent, WebSocketLike } from '../src/index.js';
import { record } from './client-harness.js';
import { startServer, token } from './gateway-server.js';
import { NodeEventSource } from './node-event-source.js';

const texts = (events: { event: ChatEvent }[]): string[] => events.map((c) => c.event.text).sort();

/** A network that refuses WebSocket upgrades: every dial throws. */
class BlockedWebSocket implements WebSocketLike {
  binaryType = 'blob';
  readonly readyState = 3;
  constructor() {
    throw new Error('WebSocket is blocked here');
  }
  addEventListener(): void {}
  send(): void {}
  close(): void {}
}

describe('RoarClient over the event-stream fallback, against the real gateway', () => {
  it('chats with a WebSocket client in the same stream, and counts both viewers', async () => {
    await using server = await startServer();
    // msgpack asked for, JSON used: the fallback carries JSON only.
    const asha = server.client({
      token: await token('asha'),
      transport: 'sse',
      EventSource: NodeEventSource,
      codec: 'msgpack',
    });
    const ben = server.client({ token: await token('ben') });
    const seenA = record(asha);
    const seenB = record(ben);
    const welcome = await asha.connect();
    expect(welcome.user).toMatchObject({ id: 'asha' });
    expect(asha.transport).toBe('sse');
    await ben.connect();
    expect(ben.transport).toBe('websocket');
    await asha.join('fb');
    await ben.join('fb');
    const sent = await asha.sendChat('fb', 'from the fallback');
    expect(sent).toMatchObject({ id: expect.any(String), held: false });
    await ben.sendChat('fb', 'from a socket');
    for (const seen of [seenA, seenB]) {
      await waitFor(() => seen.chat.length === 2, { message: 'both messages on both sides' });
      expect(texts(seen.chat)).toEqual(['from a socket', 'from the fallback']);
      await waitFor(() => seen.viewers.at(-1)?.viewers.total === 2, { message: 'two watching' });
    }
    await asha.react('fb', '🔥');
    await waitFor(() => seenB.reactions.some((r) => r.counts['🔥'] === 1), {
      message: 'the fallback reaction counted',
    });
    expect(seenA.error).toEqual([]);
  });

  it('falls back by itself when WebSocket is blocked, and moderates over the fallback', async () => {
    await using server = await startServer();
    const mod = server.client({
      token: await token('mod', '1h', { roles: ['moderator:m'] }),
      WebSocket: BlockedWebSocket,
      EventSource: NodeEventSource,
      fallbackAfter: 1,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    const viewer = server.client({ token: await token('viewer') });
    const seenM = record(mod);
    const seenV = record(viewer);
    await mod.connect();
    expect(mod.transport).toBe('sse');
    await viewer.connect();
    await mod.join('m');
    await viewer.join('m');
    const { id } = await viewer.sendChat('m', 'rude words');
    await waitFor(() => seenM.chat.some((c) => c.event.id === id), { message: 'seen by the mod' });
    await mod.moderate('m', { type: 'delete', id, reason: 'rude' });
    for (const seen of [seenM, seenV]) {
      await waitFor(() => seen.delete.some((d) => d.id === id), { message: 'delete event' });
    }
    await expect(viewer.moderate('m', { type: 'clear' })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });
});
