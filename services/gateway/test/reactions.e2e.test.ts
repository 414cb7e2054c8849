import { ErrorCode } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';

describe('reactions end to end', () => {
  it('arrive as bursts per window with the right sums, never one frame per tap', async () => {
    await using server = await startServer({
      ROAR_REACTION_WINDOW_MS: '300',
      ROAR_REACTION_BURST: '50',
    });
    const a = await server.viewer('r', { user: 'a' });
    const b = await server.viewer('r', { user: 'b' });
    const watcher = await server.viewer('r', { user: 'w' });
    for (let i = 0; i < 20; i++) a.send({ type: 'react', stream: 'r', emoji: '🔥' });
    for (let i = 0; i < 7; i++) b.send({ type: 'react', stream: 'r', emoji: '👏' });
    b.send({ type: 'react', stream: 'r', emoji: '🔥' });
    const sum = (emoji: string): number =>
      watcher.eventsOf('r', 'reactions').reduce((n, e) => n + (e.counts[emoji] ?? 0), 0);
    await watcher.waitForMessage(
      () => sum('🔥') === 21 && sum('👏') === 7,
      5000,
      'all reactions counted',
    );
    const bursts = watcher.eventsOf('r', 'reactions');
    expect(bursts.length).toBeLessThanOrEqual(3);
    expect(bursts.every((e) => e.windowMs === 300)).toBe(true);
  });

  it('acks with a ref, rejects emoji outside the set and rate-limits', async () => {
    await using server = await startServer({ ROAR_REACTION_BURST: '2', ROAR_REACTION_RATE: '1' });
    const a = await server.viewer('r2', { user: 'a' });
    expect(await a.request({ type: 'react', stream: 'r2', emoji: '🔥' })).toMatchObject({
      type: 'ack',
    });
    expect(await a.request({ type: 'react', stream: 'r2', emoji: '💩' })).toMatchObject({
      type: 'error',
      code: ErrorCode.ReactionNotAllowed,
    });
    expect(await a.request({ type: 'react', stream: 'r2', emoji: '🔥' })).toMatchObject({
      type: 'ack',
    });
    expect(await a.request({ type: 'react', stream: 'r2', emoji: '🔥' })).toMatchObject({
      type: 'error',
      code: ErrorCode.RateLimited,
      retryAfterMs: expect.any(Number),
    });
    expect(await a.request({ type: 'react', stream: 'nope', emoji: '🔥' })).toMatchObject({
      code: ErrorCode.NotJoined,
    });
  });
});
