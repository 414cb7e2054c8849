import { createRedisStore } from '@roar/store';
import { NatsServer, waitFor, type RedisServer, type TestClient } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, gatewayProcess } from '../cluster-harness.js';
import {
  PersistentRedis,
  connectAs,
  gapsSeen,
  missingFrom,
  say,
  type Acked,
} from './chat-truth.js';

// Finding 4 of issue 11: after a Redis outage, a gateway that loads a stream's history from Redis
// answered a resume with `resumed: true, gap: false` while the messages whose history writes
// failed were missing. Gateways A and B take chat through a Redis outage (SIGKILL, then a
// restart with its data); A keeps its failed writes and retries them, B is set to give them up
// (ROAR_HISTORY_RETRY=0). Gateway D starts after, loads history, and serves resumes.

const STREAM = 'final';
let nats: NatsServer;

beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats[Symbol.asyncDispose]();
});

async function join(client: TestClient, since: string) {
  const reply = await client.request({ type: 'join', stream: STREAM, since }, 15_000);
  if (reply.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(reply)}`);
  return reply;
}

describe('resume after a Redis outage (issue 11, finding 4)', () => {
  it('answers gap exactly: true when the history served has a hole, false when it is whole', async () => {
    await using redis = await PersistentRedis.start();
    const prefix = `r${Date.now().toString(36)}`;
    const env = {
      ...clusterEnv(nats, { url: redis.url } as unknown as RedisServer, prefix),
      ROAR_CHAT_RATE: '100',
      ROAR_CHAT_BURST: '100',
      // Chat is sent as fast as acks come: no sampling, so every receiver must get everything.
      ROAR_CHAT_BUDGET: '1000',
    };
    await using a = await gatewayProcess(env);
    await using b = await gatewayProcess({ ...env, ROAR_HISTORY_RETRY: '0' });
    await using c = await gatewayProcess(env);
    const store = createRedisStore({ url: redis.url, prefix, historyCapacity: 200 });
    await store.ready(5000);
    const stored = async (): Promise<Set<string>> => {
      try {
        return new Set((await store.history.recent(STREAM, 200)).map((e) => e.id));
      } catch {
        return new Set();
      }
    };
    const waitStored = async (
      ids: readonly Acked[],
      what: string,
      timeoutMs = 20_000,
    ): Promise<void> => {
      try {
        await waitFor(
          async () => {
            const have = await stored();
            return ids.every((m) => have.has(m.id));
          },
          { timeoutMs, intervalMs: 100, message: what },
        );
      } catch (error) {
        const have = await stored();
        const missing = ids.filter((m) => !have.has(m.id)).map((m) => m.text);
        throw new Error(`${what}: not stored: ${missing.join(' ')} (of ${have.size} stored)`, {
          cause: error,
        });
      }
    };

    const chatters = [
      { name: 'a1', node: a },
      { name: 'a2', node: a },
      { name: 'b1', node: b },
      { name: 'b2', node: b },
    ];
    const clients = new Map<string, TestClient>();
    for (const { name, node } of chatters)
      clients.set(name, await node.viewer(STREAM, { user: name }));
    const onC = await c.viewer(STREAM, { user: 'watcher-c' });
    const acked: Acked[] = [];
    let n = 0;
    const round = async (times: number): Promise<Acked[]> => {
      const out: Acked[] = [];
      for (let i = 0; i < times; i++) {
        for (const { name } of chatters) {
          const m = await say(clients.get(name) as TestClient, STREAM, name, `${name}#${n++}`);
          out.push(m);
          acked.push(m);
        }
      }
      return out;
    };

    const before = await round(3);
    await waitStored(before, 'the messages before the outage in history');
    const s0 = before.at(-1) as Acked;

    await redis.kill();
    const during = await round(5);
    await redis.start();
    // The outage lasts, for each gateway, until its Redis client is back (a backoff of up to
    // 2 s): chat goes on meanwhile, until one round is stored whole.
    for (let i = 0; ; i++) {
      const probe = await round(1);
      const ok = await waitStored(probe, 'a round stored after the restart', 3000).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (i >= 10) throw new Error('gateways never wrote history again after the restart');
    }
    const after = await round(2);
    await waitStored(after, 'messages sent after the outage in history');
    const s3 = after.at(-1) as Acked;
    const last = await round(3);
    await waitStored(last, 'the last messages in history');
    // What history lost: the truth a resume from before the outage must own up to.
    const have = await stored();
    const lost = acked.filter((m) => !have.has(m.id));
    expect(lost.length).toBeGreaterThan(0);

    // Every live receiver, on every gateway, got every message: NATS carried them.
    for (const [name, client] of [...clients.entries(), ['watcher-c', onC] as const]) {
      await waitFor(() => missingFrom(client, STREAM, acked).length === 0, {
        timeoutMs: 10_000,
        message: `every message live on ${name}`,
      }).catch((error: unknown) => {
        const missing = missingFrom(client, STREAM, acked).map((m) => m.text);
        throw new Error(`${name} is missing ${missing.join(' ')}`, { cause: error });
      });
    }

    // A gateway that loads the stream's history from Redis after the outage.
    await using d = await gatewayProcess(env);
    const afterS0 = acked.slice(acked.indexOf(s0) + 1);
    const afterS3 = acked.slice(acked.indexOf(s3) + 1);

    // Resume from before the outage: B's outage messages are not in history. Truth says gap.
    const r1 = await connectAs(d.wsUrl, 'resumer-1');
    const j1 = await join(r1, s0.id);
    const served1 = new Set(j1.history.map((e) => e.id));
    const missing1 = afterS0.filter((m) => !served1.has(m.id));
    expect(missing1.map((m) => m.text).sort()).toEqual(lost.map((m) => m.text).sort());
    expect(j1.resumed).toBe(true);
    expect(j1.gap).toBe(missing1.length > 0);
    expect(gapsSeen(r1, STREAM).events).toBe(1);

    // Resume from after the hole: everything after `since` is there, and the answer says so.
    const r2 = await connectAs(d.wsUrl, 'resumer-2');
    const j2 = await join(r2, s3.id);
    const served2 = new Set(j2.history.map((e) => e.id));
    expect(afterS3.filter((m) => !served2.has(m.id))).toEqual([]);
    expect(j2).toMatchObject({ resumed: true, gap: false });

    // A gateway that stayed subscribed has every message and says no gap, from either point.
    for (const [since, after] of [
      [s0, afterS0],
      [s3, afterS3],
    ] as const) {
      const r = await connectAs(c.wsUrl, `resumer-c-${since.id}`);
      const j = await join(r, since.id);
      const served = new Set(j.history.map((e) => e.id));
      expect(after.filter((m) => !served.has(m.id))).toEqual([]);
      expect(j).toMatchObject({ resumed: true, gap: false });
      r.terminate();
    }

    // A's failed writes were kept and written again, in order, once Redis was back: only B (set
    // to give up at once) lost messages: those of the outage, and any sent before its Redis
    // client was back.
    expect(lost.filter((m) => !m.by.startsWith('b'))).toEqual([]);
    const lostIds = new Set(lost.map((m) => m.id));
    expect(during.filter((m) => m.by.startsWith('b') && !lostIds.has(m.id))).toEqual([]);

    for (const client of [...clients.values(), onC, r1, r2]) client.terminate();
    await store.close();
  }, 120_000);
});
