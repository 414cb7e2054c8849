import {
  ManagedProcess,
  NatsServer,
  RedisServer,
  freePort,
  sleep,
  waitFor,
  type TestClient,
} from '@roar/testkit';
import { Subjects, connectNatsBus } from '@roar/bus';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, gatewayProcess, type Node } from '../cluster-harness.js';
import { gapsSeen, missingFrom, sampledBatches, type Acked } from './chat-truth.js';

// Finding 7 of issue 11: a gateway stalled for 20 s received the NATS backlog in one burst when
// it resumed; sampling dropped half of it and its viewers (never disconnected, so no resume)
// silently missed messages, and its chatters' queued messages were mostly refused
// `rate_limited`. Here gateway G is SIGSTOPped for ~10 s while chatters on every gateway send
// at an allowed rate (one message per 1.1 s, ROAR_CHAT_RATE=1) and receivers on every gateway
// watch: each receiver must get every acknowledged message or a gap event covering it.

const STREAM = 'derby';
const SEND_EVERY_MS = 1100;
const STALL_MS = 10_000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

interface Chatter {
  name: string;
  client: TestClient;
  /** Chat sent, by ref. */
  sent: Map<number, string>;
}

/** Every chatter sends one numbered message per `SEND_EVERY_MS`, not waiting for replies. */
function chatting(chatters: readonly Chatter[]): { stop: () => void } {
  const timers: NodeJS.Timeout[] = [];
  chatters.forEach((c, i) => {
    let n = 0;
    const send = (): void => {
      const ref = 1000 + n;
      const text = `${c.name}#${n++}`;
      c.sent.set(ref, text);
      c.client.send({ type: 'chat', ref, stream: STREAM, text });
    };
    // Staggered, so the gateways see a steady flow rather than all at once.
    timers.push(
      setTimeout(() => {
        send();
        timers.push(setInterval(send, SEND_EVERY_MS));
      }, i * 97),
    );
  });
  return { stop: () => timers.forEach((t) => clearInterval(t)) };
}

/** Waits for a reply to everything each chatter sent; returns the acked and the refused. */
async function outcome(
  chatters: readonly Chatter[],
): Promise<{ acked: Acked[]; refused: string[] }> {
  const reply = (c: Chatter, ref: number) =>
    c.client.messages.find((m) => (m.type === 'ack' || m.type === 'error') && m.ref === ref);
  await waitFor(() => chatters.every((c) => [...c.sent.keys()].every((ref) => reply(c, ref))), {
    timeoutMs: 30_000,
    intervalMs: 50,
    message: 'a reply to every chat message',
  });
  const acked: Acked[] = [];
  const refused: string[] = [];
  for (const c of chatters) {
    for (const [ref, text] of c.sent) {
      const m = reply(c, ref);
      if (m?.type === 'ack' && m.id !== undefined)
        acked.push({ id: m.id, text, by: c.name, ...(m.ts !== undefined ? { ts: m.ts } : {}) });
      else if (m?.type === 'error') refused.push(`${text}: ${m.code}`);
    }
  }
  return { acked, refused };
}

/** Receivers by name: every chatter, and a watcher per gateway. */
async function crowd(
  nodes: Record<string, Node>,
  chattersPer: number,
): Promise<{ chatters: Chatter[]; receivers: Map<string, TestClient> }> {
  const chatters: Chatter[] = [];
  const receivers = new Map<string, TestClient>();
  for (const [g, node] of Object.entries(nodes)) {
    receivers.set(`watcher-${g}`, await node.viewer(STREAM, { user: `watcher-${g}` }));
    for (let i = 0; i < chattersPer; i++) {
      const name = `${g}${i}`;
      const client = await node.viewer(STREAM, { user: name });
      chatters.push({ name, client, sent: new Map() });
      receivers.set(name, client);
    }
  }
  return { chatters, receivers };
}

/** The fault test's truth: every receiver got every acked message, or gap events covering it. */
async function expectNoSilentHole(
  receivers: Map<string, TestClient>,
  acked: readonly Acked[],
): Promise<void> {
  const covered = (client: TestClient): boolean => {
    const missing = missingFrom(client, STREAM, acked).length;
    return (
      missing === 0 ||
      (gapsSeen(client, STREAM).events > 0 && gapsSeen(client, STREAM).missed >= missing)
    );
  };
  await waitFor(() => [...receivers.values()].every(covered), {
    timeoutMs: 20_000,
    intervalMs: 100,
    message: 'every receiver to have every message or a gap covering it',
  }).catch((error: unknown) => {
    const report = [...receivers]
      .map(([name, c]) => {
        const missing = missingFrom(c, STREAM, acked).length;
        const gaps = gapsSeen(c, STREAM);
        return `${name}: missing ${missing}, gap events ${gaps.events} (missed ${gaps.missed}), sampled batches ${sampledBatches(c, STREAM)}`;
      })
      .join('\n');
    throw new Error(`silent holes:\n${report}`, { cause: error });
  });
}

describe('a gateway stalled with SIGSTOP (issue 11, finding 7)', () => {
  it("delivers the backlog whole after the stall and accepts its chatters' queued messages", async () => {
    await using nats = await NatsServer.start();
    const env = clusterEnv(nats, redis, `s${Date.now().toString(36)}`);
    await using a = await gatewayProcess(env);
    await using b = await gatewayProcess(env);
    await using g = await gatewayProcess(env);
    const { chatters, receivers } = await crowd({ a, b, g }, 3);

    const talk = chatting(chatters);
    // The sleeps are the scenario: chat flows, one gateway stalls for STALL_MS, chat flows on.
    await sleep(3000);
    g.process?.child.kill('SIGSTOP');
    await sleep(STALL_MS);
    g.process?.child.kill('SIGCONT');
    await sleep(4000);
    talk.stop();

    const { acked, refused } = await outcome(chatters);
    await expectNoSilentHole(receivers, acked);
    // Messages read in the stall's backlog are timed as likely sent, and their acks say the same.
    const delivered = new Map<string, number>();
    for (const c of receivers.values())
      for (const m of c.messages)
        if (m.type === 'batch' && m.stream === STREAM)
          for (const e of m.events) if (e.type === 'chat') delivered.set(e.id, e.ts);
    const differ = acked.filter((a) => delivered.has(a.id) && delivered.get(a.id) !== a.ts);
    expect(differ).toEqual([]);
    expect(acked.filter((a) => delivered.has(a.id)).length).toBeGreaterThan(100);
    // The stalled gateway's chatters sent at the allowed rate: their queued messages are not a burst.
    expect(refused).toEqual([]);
    expect(acked.length).toBeGreaterThan(100);
    // Nothing was sampled: 9 chatters at under 1/s is far below the 25/s budget, backlog or not.
    for (const [name, c] of receivers) expect([name, sampledBatches(c, STREAM)]).toEqual([name, 0]);
    for (const c of receivers.values()) c.terminate();
  }, 90_000);

  it('recovers from history what it missed when NATS cut it off during the stall', async () => {
    // A NATS server that cuts off a slow consumer after 1 s of blocked writes: while the gateway
    // is stopped its socket buffers fill (junk on the stream's subject does that quickly), the
    // server drops it, and what is published until it is back is lost to it.
    const dir = await mkdtemp(join(tmpdir(), 'roar-nats-'));
    const port = await freePort();
    const conf = join(dir, 'nats.conf');
    await writeFile(conf, `listen: "127.0.0.1:${port}"\nwrite_deadline: "1s"\n`);
    const server = new ManagedProcess('nats-server', ['-c', conf]);
    try {
      await server.waitForOutput(/Server is ready/);
      const nats = { url: `nats://127.0.0.1:${port}` } as unknown as NatsServer;
      const prefix = `n${Date.now().toString(36)}`;
      const env = clusterEnv(nats, redis, prefix);
      await using a = await gatewayProcess(env);
      await using b = await gatewayProcess(env);
      await using g = await gatewayProcess(env);
      const flooder = await connectNatsBus({ servers: nats.url, name: 'flooder' });
      // Chat on A and B only: the stalled gateway's own chatters would be refused while its
      // NATS connection is down, which is the `unavailable` error, not this finding.
      const { chatters, receivers } = await crowd({ a, b }, 3);
      for (let i = 0; i < 3; i++)
        receivers.set(`g-viewer${i}`, await g.viewer(STREAM, { user: `gv${i}` }));

      const talk = chatting(chatters);
      // As above, the sleeps are the scenario: chat before, during and after the stall.
      await sleep(3000);
      g.process?.child.kill('SIGSTOP');
      await sleep(1000);
      const junk = new Uint8Array(512 * 1024).fill(0xc1); // 0xc1: never valid msgpack
      const subject = new Subjects(prefix).stream(STREAM, 'chat');
      for (let i = 0; i < 40; i++) flooder.publish(subject, junk);
      await flooder.flush();
      await sleep(STALL_MS - 1000);
      g.process?.child.kill('SIGCONT');
      await g.process?.waitForOutput(/"msg":"bus status".*"status":"reconnected"/, 15_000);
      await sleep(3000);
      talk.stop();

      const { acked, refused } = await outcome(chatters);
      expect(refused).toEqual([]);
      await expectNoSilentHole(receivers, acked);
      // Redis was up, so history had all of it: recovered, not merely reported as a gap.
      for (const [name, c] of receivers) {
        expect([name, missingFrom(c, STREAM, acked).length, gapsSeen(c, STREAM).events]).toEqual([
          name,
          0,
          0,
        ]);
      }
      for (const c of receivers.values()) c.terminate();
      await flooder.close();
    } finally {
      await server.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
