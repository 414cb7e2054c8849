import type { PollEvent } from '@roar/protocol';
import { RedisServer, waitFor, type TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { gatewayInProcess, gatewayProcess, type Node, useBrokers } from './cluster-harness.js';

const brokers = useBrokers('p');
const prefix = brokers.prefix;
const API_KEY = 'ops-key-0123456789abcdef0123456789abcdef';

const env = (p: string): Record<string, string> => ({
  ...brokers.env(p),
  ROAR_ADMIN_API_KEYS: `ops:${API_KEY}`,
  ROAR_POLL_FLUSH_MS: '50',
  ROAR_POLL_RESULTS_MS: '200',
  ROAR_POLL_GRACE_MS: '300',
});

async function admin(node: Node, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${node.port}/admin/v1${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as { poll: { id: string } } };
}

const polls = (c: TestClient): PollEvent[] => c.eventsOf('x', 'poll');
const final = (c: TestClient): PollEvent | undefined => polls(c).find((p) => p.state === 'closed');

describe('polls over real NATS and Redis, several gateways', () => {
  it('counts a user voting from two gateways once, and every viewer gets the exact truth', async () => {
    const p = prefix();
    await using a = await gatewayInProcess(env(p));
    await using b = await gatewayInProcess(env(p));
    await using c = await gatewayInProcess(env(p));
    const nodes = [a, b, c];
    // 30 voters spread over the three gateways; "twin" is on a and b at once.
    const voters = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (nodes[i % 3] as Node).viewer('x', { user: `v${i}` })),
    );
    const twinA = await a.viewer('x', { user: 'twin' });
    const twinB = await b.viewer('x', { user: 'twin' });
    const opened = await admin(c, 'POST', '/streams/x/polls', {
      question: 'Who wins?',
      options: ['India', 'Pakistan', 'Rain', 'Tie'],
    });
    expect(opened.status).toBe(201);
    const id = opened.body.poll.id;
    const everyone = [...voters, twinA, twinB];
    for (const v of everyone)
      await v.waitForMessage(() => polls(v).some((e) => e.id === id), 5000, 'the poll');
    const truth = [0, 0, 0, 0];
    await Promise.all(
      voters.map(async (v, i) => {
        truth[i % 4]! += 1;
        const reply = await v.request({ type: 'vote', stream: 'x', poll: id, option: i % 4 });
        expect(reply.type).toBe('ack');
      }),
    );
    // The same user on two gateways, two answers, at once: each gateway acks (it cannot know of
    // the other), the store counts the first to arrive and refuses the other.
    const [r1, r2] = await Promise.all([
      twinA.request({ type: 'vote', stream: 'x', poll: id, option: 0 }),
      twinB.request({ type: 'vote', stream: 'x', poll: id, option: 1 }),
    ]);
    expect([r1.type, r2.type]).toEqual(['ack', 'ack']);
    // Results while open, then the close on another gateway than the one that opened it.
    await voters[0]!.waitForMessage(
      () => polls(voters[0]!).some((e) => e.state === 'open' && e.total === 31),
      5000,
      'open results with every vote',
    );
    expect(
      await voters[0]!.request({ type: 'vote', stream: 'x', poll: id, option: 5 }),
    ).toMatchObject({ type: 'error', code: 'invalid_option' });
    expect((await admin(a, 'POST', `/streams/x/polls/${id}/close`)).status).toBe(200);
    for (const v of everyone)
      await v.waitForMessage(() => final(v) !== undefined, 5000, 'the final result');
    const votes = final(voters[0]!)!.votes;
    // The twin counted once, for one of its two answers.
    const twinOption = votes[0] === truth[0]! + 1 ? 0 : 1;
    truth[twinOption]! += 1;
    for (const v of everyone) expect(final(v)).toMatchObject({ votes: truth, total: 31 });
    // On every gateway, a vote after the close is refused.
    for (const v of [voters[0]!, voters[1]!, voters[2]!])
      expect(await v.request({ type: 'vote', stream: 'x', poll: id, option: 0 })).toMatchObject({
        type: 'error',
        code: 'poll_closed',
      });
    const stored = await admin(b, 'GET', `/streams/x/polls/${id}`);
    expect(stored.body.poll).toMatchObject({ votes: truth, voters: 31, final: true });
  });

  it(
    'closes at the deadline after the gateway that opened it died',
    { timeout: 30_000 },
    async () => {
      const p = prefix();
      await using opener = await gatewayProcess(env(p));
      await using b = await gatewayInProcess(env(p));
      const viewer = await b.viewer('x', { user: 'v1' });
      const other = await opener.viewer('x', { user: 'v2' });
      const opened = await admin(opener, 'POST', '/streams/x/polls', {
        question: 'Quick?',
        options: ['yes', 'no'],
        durationS: 5,
      });
      const id = opened.body.poll.id;
      await viewer.waitForMessage(() => polls(viewer).some((e) => e.id === id), 5000, 'the poll');
      await other.waitForMessage(() => polls(other).some((e) => e.id === id), 5000, 'the poll');
      expect((await other.request({ type: 'vote', stream: 'x', poll: id, option: 0 })).type).toBe(
        'ack',
      );
      expect((await viewer.request({ type: 'vote', stream: 'x', poll: id, option: 1 })).type).toBe(
        'ack',
      );
      // The opener's votes are counted (its batch went out) before it dies.
      await viewer.waitForMessage(
        () => polls(viewer).some((e) => e.total === 2),
        5000,
        'both votes in the results',
      );
      await opener.process?.stop('SIGKILL');
      await viewer.waitForMessage(() => final(viewer) !== undefined, 10_000, 'the final result');
      expect(final(viewer)).toMatchObject({ votes: [1, 1], total: 2 });
      // A gateway that joins later reads the same final result.
      await using c = await gatewayInProcess(env(p));
      const late = await c.viewer('x', { user: 'late' });
      await late.waitForMessage(() => final(late) !== undefined, 5000, 'the snapshot');
      expect(final(late)).toMatchObject({ votes: [1, 1] });
    },
  );

  it('keeps the votes taken while Redis is down and counts them once it is back', async () => {
    const p = prefix();
    await using persistent = await RedisServer.start({ persist: true });
    const withRedis = { ...env(p), ROAR_REDIS_URL: persistent.url };
    await using a = await gatewayInProcess(withRedis);
    await using b = await gatewayInProcess(withRedis);
    const voters = await Promise.all(
      ['u0', 'u1', 'u2', 'u3'].map((user, i) => (i % 2 ? b : a).viewer('x', { user })),
    );
    const opened = await admin(a, 'POST', '/streams/x/polls', {
      question: 'Through the outage?',
      options: ['yes', 'no'],
    });
    const id = opened.body.poll.id;
    for (const v of voters)
      await v.waitForMessage(() => polls(v).some((e) => e.id === id), 5000, 'the poll');
    await voters[0]!.request({ type: 'vote', stream: 'x', poll: id, option: 0 });
    await voters[0]!.waitForMessage(
      () => polls(voters[0]!).some((e) => e.total === 1),
      5000,
      'the first vote counted',
    );
    await persistent.stop();
    // Taken and acked while the store is down: queued, and retried every flush.
    for (const [i, v] of voters.entries())
      expect((await v.request({ type: 'vote', stream: 'x', poll: id, option: i % 2 })).type).toBe(
        'ack',
      );
    // Opening or closing needs the store: refused, nothing half-done.
    expect((await admin(b, 'POST', `/streams/x/polls/${id}/close`)).status).toBe(503);
    await persistent.start();
    await waitFor(async () => (await admin(b, 'GET', `/streams/x/polls/${id}`)).status === 200, {
      timeoutMs: 10_000,
      message: 'the store to answer again',
    });
    for (const v of voters)
      await v.waitForMessage(
        () => polls(v).some((e) => e.state === 'open' && e.total === 4),
        10_000,
        'every vote counted after the outage',
      );
    expect((await admin(b, 'POST', `/streams/x/polls/${id}/close`)).status).toBe(200);
    for (const v of voters)
      await v.waitForMessage(() => final(v) !== undefined, 5000, 'the final result');
    expect(final(voters[3]!)).toMatchObject({ votes: [2, 2], total: 4 });
  });
});
