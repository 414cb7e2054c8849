import { ErrorCode, type ChatEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';

const texts = (events: ChatEvent[]): string[] => events.map((e) => e.text);

describe('chat end to end', () => {
  it('two viewers see each other, the sender gets an ack with the id and sees its own message', async () => {
    await using server = await startServer();
    const asha = await server.viewer('final', { user: 'asha' });
    const ben = await server.viewer('final', { user: 'ben' });
    const ack = await asha.request({ type: 'chat', stream: 'final', text: 'what a shot' });
    expect(ack).toMatchObject({ type: 'ack', id: expect.any(String), ts: expect.any(Number) });
    await ben.request({ type: 'chat', stream: 'final', text: 'six!' });
    for (const c of [asha, ben]) {
      await c.waitForMessage(() => c.eventsOf('final', 'chat').length === 2, 3000, 'both messages');
    }
    const seen = ben.eventsOf('final', 'chat');
    expect(texts(seen)).toEqual(['what a shot', 'six!']);
    expect(seen[0]).toMatchObject({ user: { id: 'asha', name: 'asha' } });
    expect(ack.type === 'ack' && ack.id).toBe(seen[0]?.id);
    expect(texts(asha.eventsOf('final', 'chat'))).toEqual(['what a shot', 'six!']);
  });

  it('JSON and msgpack clients share one stream', async () => {
    await using server = await startServer();
    const m = await server.viewer('mix', { user: 'mp', codec: 'msgpack' });
    const j = await server.viewer('mix', { user: 'js', codec: 'json' });
    await m.request({ type: 'chat', stream: 'mix', text: 'from msgpack' });
    await j.request({ type: 'chat', stream: 'mix', text: 'from json 🏏' });
    for (const c of [m, j]) {
      await c.waitForMessage(() => c.eventsOf('mix', 'chat').length === 2, 3000, 'two messages');
      expect(texts(c.eventsOf('mix', 'chat'))).toEqual(['from msgpack', 'from json 🏏']);
    }
    expect(j.socket.protocol).toBe('roar.v1.json');
    expect(m.socket.protocol).toBe('roar.v1.msgpack');
  });

  it('batches a tick of chat into one frame per viewer', async () => {
    await using server = await startServer({
      ROAR_TICK_MS: '200',
      ROAR_REACTION_WINDOW_MS: '200',
      ROAR_COUNT_INTERVAL_MS: '200',
      ROAR_CHAT_BURST: '10',
      ROAR_CHAT_RATE: '10',
    });
    const a = await server.viewer('b', { user: 'a' });
    const watcher = await server.viewer('b', { user: 'w' });
    for (let i = 0; i < 5; i++) a.send({ type: 'chat', stream: 'b', text: `m${i}` });
    await watcher.waitForMessage(
      () => watcher.eventsOf('b', 'chat').length === 5,
      3000,
      'five messages',
    );
    const batches = watcher.messages.filter(
      (m) => m.type === 'batch' && m.events.some((e) => e.type === 'chat'),
    );
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(texts(watcher.eventsOf('b', 'chat'))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('gives a joining viewer the recent history, at most ROAR_HISTORY_ON_JOIN', async () => {
    await using server = await startServer({
      ROAR_HISTORY_ON_JOIN: '3',
      ROAR_CHAT_BURST: '10',
      ROAR_CHAT_RATE: '10',
    });
    const a = await server.viewer('h', { user: 'a' });
    for (let i = 0; i < 5; i++) await a.request({ type: 'chat', stream: 'h', text: `m${i}` });
    await a.waitForMessage(() => a.eventsOf('h', 'chat').length === 5, 3000, 'delivered');
    const late = await server.connect({ user: 'late' });
    const joined = await late.request({ type: 'join', stream: 'h' });
    expect(joined.type === 'joined' && texts(joined.history)).toEqual(['m2', 'm3', 'm4']);
  });

  it('resumes from the last seen id with exactly the missed messages, or reports a gap', async () => {
    await using server = await startServer({
      ROAR_HISTORY_CAPACITY: '5',
      ROAR_CHAT_BURST: '20',
      ROAR_CHAT_RATE: '20',
    });
    const a = await server.viewer('r', { user: 'a' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const ack = await a.request({ type: 'chat', stream: 'r', text: `m${i}` });
      if (ack.type === 'ack' && ack.id) ids.push(ack.id);
    }
    await a.waitForMessage(() => a.eventsOf('r', 'chat').length === 4, 3000, 'delivered');
    const back = await server.connect({ user: 'back' });
    const resumed = await back.request({ type: 'join', stream: 'r', since: ids[1] });
    expect(resumed).toMatchObject({ type: 'joined', resumed: true, gap: false });
    expect(resumed.type === 'joined' && texts(resumed.history)).toEqual(['m2', 'm3']);

    for (let i = 4; i < 10; i++) await a.request({ type: 'chat', stream: 'r', text: `m${i}` });
    await a.waitForMessage(() => a.eventsOf('r', 'chat').length === 10, 3000, 'delivered');
    const far = await server.connect({ user: 'far' });
    const gap = await far.request({ type: 'join', stream: 'r', since: ids[0] });
    expect(gap).toMatchObject({ type: 'joined', resumed: false, gap: true });
  });

  it('rejects bad chat with the right codes and delivers nothing', async () => {
    // Refused messages take rate tokens too: room for five in a row.
    await using server = await startServer({ ROAR_CHAT_BURST: '10' });
    const a = await server.viewer('v', { user: 'a' });
    const watcher = await server.viewer('v', { user: 'w' });
    const cases: [string, string][] = [
      ['   ', ErrorCode.ChatEmpty],
      ['x'.repeat(501), ErrorCode.ChatTooLong],
      ['bell\u0007', ErrorCode.ChatControlChars],
      ['lone \uD800', ErrorCode.InvalidUtf8],
    ];
    for (const [text, code] of cases) {
      expect(await a.request({ type: 'chat', stream: 'v', text })).toMatchObject({
        type: 'error',
        code,
      });
    }
    expect(await a.request({ type: 'chat', stream: 'other', text: 'hi' })).toMatchObject({
      type: 'error',
      code: ErrorCode.NotJoined,
      stream: 'other',
    });
    await a.request({ type: 'chat', stream: 'v', text: 'valid' });
    await watcher.waitForMessage(
      () => watcher.eventsOf('v', 'chat').length >= 1,
      3000,
      'valid message',
    );
    expect(texts(watcher.eventsOf('v', 'chat'))).toEqual(['valid']);
  });

  it('rate-limits per user (1/s, burst 3) with a retry-after, across the user’s connections', async () => {
    await using server = await startServer();
    const a1 = await server.viewer('rl', { user: 'a' });
    const a2 = await server.viewer('rl', { user: 'a' });
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await a1.request({ type: 'chat', stream: 'rl', text: `m${i}` }));
    expect(results.every((r) => r.type === 'ack')).toBe(true);
    const limited = await a2.request({ type: 'chat', stream: 'rl', text: 'one more' });
    expect(limited).toMatchObject({ type: 'error', code: ErrorCode.RateLimited });
    expect(limited.type === 'error' && limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.type === 'error' && limited.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it('lets anonymous viewers watch but not chat or react by default', async () => {
    await using server = await startServer();
    const anon = await server.viewer('an', { query: { anon: 'device-12345678' } });
    expect(anon.messages[0]).toMatchObject({ type: 'welcome', user: null });
    expect(await anon.request({ type: 'chat', stream: 'an', text: 'hi' })).toMatchObject({
      code: ErrorCode.Unauthenticated,
    });
    expect(await anon.request({ type: 'react', stream: 'an', emoji: '🔥' })).toMatchObject({
      code: ErrorCode.Unauthenticated,
    });
  });

  it('lets anonymous viewers chat when configured', async () => {
    await using server = await startServer({ ROAR_ANONYMOUS_CHAT: 'true' });
    const anon = await server.viewer('an', { query: { anon: 'device-12345678' } });
    expect(await anon.request({ type: 'chat', stream: 'an', text: 'hi' })).toMatchObject({
      type: 'ack',
    });
    await anon.waitForMessage(() => anon.eventsOf('an', 'chat').length === 1, 3000, 'own message');
    // Shown under an id the server derived from the device's (issue 12): never the one presented.
    const shown = anon.eventsOf('an', 'chat')[0]?.user.id;
    expect(shown).toMatch(/^a:[A-Za-z0-9_-]{16}$/);
    expect(shown).not.toContain('device-12345678');
  });
});
