import type { QaEvent } from '@roar/protocol';
import { NatsServer, RedisServer, type TestClient } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, gatewayInProcess } from '../cluster-harness.js';
import { token } from '../harness.js';

// The Q&A's store is Redis: what viewers see while it stalls (SIGSTOP) and after it restarts
// empty, on two gateways over real NATS and Redis.

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

const S = 'qaf';
const last = (c: TestClient): QaEvent | undefined => c.eventsOf(S, 'qa').at(-1);
const shape = (b: QaEvent | undefined): string =>
  JSON.stringify(
    b && { open: b.open, top: b.top.map((q) => [q.text, q.upvotes]), picked: b.picked?.text },
  );

async function code(c: TestClient, message: Parameters<TestClient['request']>[0]): Promise<string> {
  const r = await c.request(message, 10_000);
  return r.type === 'error' ? r.code : r.type;
}

describe('Q&A when Redis fails', () => {
  it(
    'keeps the last board while Redis stalls (asks and upvotes refused, unavailable), catches up after, and starts over when Redis comes back empty',
    { timeout: 90_000 },
    async () => {
      await using redis = await RedisServer.start();
      const prefix = `qf${Date.now().toString(36)}`;
      const env = { ...clusterEnv(nats, redis, prefix), ROAR_QA_ASK_INTERVAL_MS: '0' };
      await using a = await gatewayInProcess(env);
      await using b = await gatewayInProcess(env);
      const host = await a.viewer(S, { token: await token('host', { roles: [`moderator:${S}`] }) });
      const onA = await a.viewer(S, { user: 'ann' });
      const onB = await b.viewer(S, { user: 'ben' });
      expect(await code(host, { type: 'qa_mod', stream: S, action: { type: 'open' } })).toBe('ack');
      const asked = await onA.request({ type: 'ask', stream: S, text: 'before the stall' });
      const id = (asked as { id: string }).id;
      expect(await code(onB, { type: 'upvote', stream: S, id })).toBe('ack');
      const before = JSON.stringify({ open: true, top: [['before the stall', 1]] });
      for (const c of [onA, onB])
        await c.waitForMessage(() => shape(last(c)) === before, 8000, 'the board before the stall');
      const framesBefore = onB.eventsOf(S, 'qa').length;

      redis.pause();
      const stalledAt = Date.now();
      // Refused with `unavailable` within the store's command timeout (1 s) and a flush.
      expect(await code(onB, { type: 'ask', stream: S, text: 'during the stall' })).toBe(
        'unavailable',
      );
      expect(await code(host, { type: 'upvote', stream: S, id })).toBe('unavailable');
      expect(Date.now() - stalledAt).toBeLessThan(5000);
      // Board reads failed meanwhile (at least one per gateway past the 1 s interval): viewers
      // still show the last board, never an empty one.
      expect(shape(last(onA))).toBe(before);
      expect(shape(last(onB))).toBe(before);
      expect(onB.eventsOf(S, 'qa').length).toBe(framesBefore);

      redis.resume();
      // Commands sent during the stall were not lost: Redis runs them when it resumes, though
      // their callers were told `unavailable` (the store does not wait). So the upvote may have
      // counted: sent again it is `ack` or `already_upvoted`, and it counts once either way; the
      // question may have been stored too, and then shows (with 0 upvotes).
      expect(['ack', 'already_upvoted']).toContain(
        await code(host, { type: 'upvote', stream: S, id }),
      );
      const settled = (c: TestClient): boolean => {
        const board = last(c);
        const rest = board?.top.slice(1).map((q) => [q.text, q.upvotes]);
        return (
          board?.top[0]?.text === 'before the stall' &&
          board.top[0].upvotes === 2 &&
          JSON.stringify(rest) === JSON.stringify(rest?.length ? [['during the stall', 0]] : [])
        );
      };
      for (const c of [onA, onB])
        await c.waitForMessage(() => settled(c), 8000, 'the board after the stall');
      expect(shape(last(onA))).toBe(shape(last(onB)));

      // Redis restarts empty (no persistence): the Q&A is gone; viewers see it closed and empty
      // within a board read, rather than the old board forever.
      await redis.kill();
      await redis.start();
      const empty = JSON.stringify({ open: false, top: [] });
      for (const c of [onA, onB])
        await c.waitForMessage(() => shape(last(c)) === empty, 15_000, 'the board starting over');
      expect(await code(onA, { type: 'ask', stream: S, text: 'after the loss' })).toBe('qa_closed');
      expect(await code(host, { type: 'qa_mod', stream: S, action: { type: 'open' } })).toBe('ack');
      expect(await code(onA, { type: 'ask', stream: S, text: 'after the loss' })).toBe('ack');
      const reopened = JSON.stringify({ open: true, top: [['after the loss', 0]] });
      for (const c of [onA, onB])
        await c.waitForMessage(() => shape(last(c)) === reopened, 8000, 'the reopened board');
    },
  );
});
