import { waitFor } from '@roar/testkit';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { deferred, type Deferred } from '../src/deferred.js';
import {
  RoarClientError,
  memoryStorage,
  type ChatEvent,
  type WebSocketConstructor,
} from '../src/index.js';
import { record } from './client-harness.js';
import { startServer, token } from './gateway-server.js';

/** `ws` with every socket it makes remembered, so a test can cut one like a lost network. */
function trackedWebSocket(): { WebSocket: WebSocketConstructor; sockets: WebSocket[] } {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { WebSocket: Tracked, sockets };
}

const texts = (events: { event: ChatEvent }[]): string[] => events.map((c) => c.event.text);

describe('RoarClient against the real gateway', () => {
  it('two clients chat, one over msgpack and one over JSON', async () => {
    await using server = await startServer();
    const asha = server.client({ token: await token('asha'), codec: 'msgpack' });
    const ben = server.client({ token: await token('ben'), codec: 'json' });
    const seenA = record(asha);
    const seenB = record(ben);
    const welcome = await asha.connect();
    expect(welcome.user).toMatchObject({ id: 'asha' });
    await ben.connect();
    await asha.join('final');
    await ben.join('final');
    const ack = await asha.sendChat('final', 'what a shot');
    await ben.sendChat('final', 'six! 🏏');
    for (const seen of [seenA, seenB]) {
      await waitFor(() => seen.chat.length === 2, { message: 'both messages' });
      expect(texts(seen.chat)).toEqual(['what a shot', 'six! 🏏']);
    }
    expect(seenB.chat[0]?.event).toMatchObject({ id: ack.id, ts: ack.ts, user: { id: 'asha' } });
    const rtt = await ben.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(Math.abs(ben.serverNow() - Date.now())).toBeLessThan(1000);
  });

  it('delivers reactions as aggregated bursts, not one event per tap', async () => {
    await using server = await startServer();
    const f1 = server.client({ token: await token('f1') });
    const f2 = server.client({ token: await token('f2') });
    const watcher = server.client();
    const seen = record(watcher);
    await watcher.connect();
    await watcher.join('wicket');
    for (const fan of [f1, f2]) {
      await fan.connect();
      await fan.join('wicket');
    }
    const taps = [
      f1.react('wicket', '🔥'),
      f1.react('wicket', '🔥'),
      f2.react('wicket', '🔥'),
      f2.react('wicket', '👏'),
    ];
    await Promise.all(taps);
    const sum = (emoji: string): number =>
      seen.reactions.reduce((n, r) => n + (r.counts[emoji] ?? 0), 0);
    await waitFor(() => sum('🔥') === 3 && sum('👏') === 1, { message: 'all taps counted' });
    expect(seen.reactions.length).toBeLessThan(taps.length);
    await expect(f1.react('wicket', '🦆')).rejects.toMatchObject({
      code: 'reaction_not_allowed',
    });
  });

  it('updates the viewer count as viewers come and go', async () => {
    await using server = await startServer();
    const first = server.client();
    const seen = record(first);
    await first.connect();
    await first.join('count');
    const second = server.client();
    await second.connect();
    await second.join('count');
    await waitFor(() => seen.viewers.at(-1)?.viewers.total === 2, { message: 'two watching' });
    expect(seen.viewers.at(-1)?.viewers.text).toBe('2 watching');
    await second.leave('count');
    await waitFor(() => seen.viewers.at(-1)?.viewers.total === 1, { message: 'one watching' });
  });

  it('rejects sendChat with a typed rate_limited error that says when to retry', async () => {
    await using server = await startServer({ ROAR_CHAT_BURST: '2', ROAR_CHAT_RATE: '0.5' });
    const client = server.client({ token: await token('fast') });
    await client.connect();
    await client.join('s');
    await client.sendChat('s', 'one');
    await client.sendChat('s', 'two');
    const error: unknown = await client.sendChat('s', 'three').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoarClientError);
    expect(error).toMatchObject({ code: 'rate_limited', stream: 's' });
    const retryAfterMs = error instanceof RoarClientError ? error.retryAfterMs : undefined;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it('keeps an anonymous viewer the same viewer across reconnects and reloads', async () => {
    await using server = await startServer({ ROAR_ANONYMOUS_CHAT: 'true' });
    const storage = memoryStorage();
    const tracked = trackedWebSocket();
    const anon = server.client({ storage, WebSocket: tracked.WebSocket });
    const seen = record(anon);
    await anon.connect();
    await anon.join('s');
    await anon.sendChat('s', 'before');
    tracked.sockets[0]?.terminate();
    await waitFor(() => seen.status.some((s) => s.state === 'reconnecting'), {
      message: 'the drop noticed',
    });
    await waitFor(() => anon.state === 'open', { message: 'reconnected' });
    await anon.join('s');
    await anon.sendChat('s', 'after');
    await waitFor(() => seen.chat.length === 2, { message: 'both messages back' });
    expect(tracked.sockets).toHaveLength(2);
    const reloaded = server.client({ storage });
    expect(reloaded.anonId).toBe(anon.anonId);
    await reloaded.connect();
    await reloaded.join('s');
    await reloaded.sendChat('s', 'after reload');
    await waitFor(() => seen.chat.length === 3, { message: 'the reloaded client message' });
    // One shown id all along: derived by the server from the anon id, never the anon id itself.
    const shown = seen.chat[0]?.event.user.id ?? '';
    expect(shown).toMatch(/^a:[A-Za-z0-9_-]{16}$/);
    expect(shown).not.toContain(anon.anonId);
    expect(seen.chat.map((c) => c.event.user.id)).toEqual(Array(3).fill(shown));
  });

  it('resumes after a dropped connection with exactly the missed messages, once, in order', async () => {
    await using server = await startServer({ ROAR_CHAT_BURST: '20', ROAR_CHAT_RATE: '20' });
    let gate: Deferred<void> = deferred();
    gate.resolve();
    let tokens = 0;
    const tracked = trackedWebSocket();
    const viewer = server.client({
      WebSocket: tracked.WebSocket,
      // Each (re)connect asks for a token; holding it open keeps the viewer away while chat goes on.
      token: async () => {
        tokens++;
        await gate.promise;
        return token('viewer');
      },
    });
    const talker = server.client({ token: await token('talker') });
    const seenV = record(viewer);
    const seenT = record(talker);
    await viewer.connect();
    await viewer.join('live');
    await talker.connect();
    await talker.join('live');
    for (const text of ['m0', 'm1', 'm2']) await talker.sendChat('live', text);
    await waitFor(() => seenV.chat.length === 3, { message: 'the first three' });

    gate = deferred();
    tracked.sockets[0]?.terminate();
    await waitFor(() => viewer.state === 'reconnecting', { message: 'the viewer dropped' });
    for (const text of ['m3', 'm4', 'm5']) await talker.sendChat('live', text);
    await waitFor(() => seenT.chat.length === 6, { message: 'the talker sees all six' });
    expect(seenV.chat).toHaveLength(3);

    gate.resolve();
    await waitFor(() => seenV.joined.length === 2, { message: 'the rejoin' });
    expect(seenV.joined[1]).toMatchObject({ resumed: true, gap: false });
    expect(seenV.joined[1]?.history.map((e) => e.text)).toEqual(['m3', 'm4', 'm5']);
    // A marker after the resume: anything duplicated would have arrived before it.
    await talker.sendChat('live', 'm6');
    await waitFor(() => seenV.chat.some((c) => c.event.text === 'm6'), { message: 'the marker' });
    expect(texts(seenV.chat)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(seenV.gap).toEqual([]);
    expect(tokens).toBe(2);
    expect(viewer.stats.reconnects).toBe(1);
  });

  it('fetches a fresh token after the server says the token expired', async () => {
    await using server = await startServer();
    const expired = await token('late', Math.floor(Date.now() / 1000) - 120);
    const fresh = await token('late');
    const issued: string[] = [];
    const client = server.client({
      token: () => {
        const next = issued.length === 0 ? expired : fresh;
        issued.push(next);
        return next;
      },
    });
    const seen = record(client);
    const welcome = await client.connect();
    expect(welcome.user).toMatchObject({ id: 'late' });
    expect(issued).toEqual([expired, fresh]);
    expect(seen.status.find((s) => s.state === 'reconnecting')).toMatchObject({ closeCode: 4502 });
    expect(seen.error).toEqual([]);
  });

  it('gives up on a bad token: closed, with a token_invalid error', async () => {
    await using server = await startServer();
    const client = server.client({ token: 'not.a.jwt' });
    const seen = record(client);
    await expect(client.connect()).rejects.toMatchObject({
      code: 'token_invalid',
      closeCode: 4501,
    });
    expect(client.state).toBe('closed');
    expect(seen.error).toHaveLength(1);
    expect(seen.status.at(-1)).toEqual({ state: 'closed', closeCode: 4501 });
  });
});
