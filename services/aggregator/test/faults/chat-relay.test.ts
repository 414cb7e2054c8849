import { sleep, waitFor, type TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { useBrokers } from '../harness.js';
import { Cluster, Poller, type Viewer } from './cluster.js';

// Issue 17, part 1: sampling at the source. Gateways and aggregators as separate processes over
// real NATS and Redis; the aggregator owning the partition relays the stream's chat. Its pause
// or death must turn into direct fan-out within a bounded window, with nothing lost, nothing
// twice and no hole reported.

const brokers = useBrokers();

const RELAY_RATE = 10;
const TIMEOUT_MS = 1000;
const env = {
  shared: { ROAR_CHAT_RELAY: 'on', ROAR_CHAT_RELAY_TIMEOUT_MS: String(TIMEOUT_MS) },
  gateway: { ROAR_ANONYMOUS_CHAT: 'true' },
  aggregator: { ROAR_CHAT_RELAY_RATE: String(RELAY_RATE) },
};

const chats = (c: TestClient, stream: string): string[] =>
  c.eventsOf(stream, 'chat').map((e) => e.text);
const gaps = (c: TestClient, stream: string): number => c.eventsOf(stream, 'gap').length;

/** When each chat text was first seen by `c` (50 ms resolution). */
function arrivals(c: TestClient, stream: string): { seen: Map<string, number>; stop: () => void } {
  const seen = new Map<string, number>();
  const poll = new Poller(async () => {
    const now = Date.now();
    for (const t of chats(c, stream)) if (!seen.has(t)) seen.set(t, now);
    return 0;
  });
  return { seen, stop: () => void poll.stop() };
}

async function say(v: Viewer, stream: string, text: string): Promise<void> {
  const r = await v.client.request({ type: 'chat', stream, text }, 10_000);
  if (r.type !== 'ack') throw new Error(`chat refused: ${JSON.stringify(r)}`);
}

/**
 * Until one message from `from` reaches `to`: the stream's rules have loaded and the relay's beat
 * has reached the gateways.
 */
async function warmUp(from: Viewer, to: Viewer, stream: string): Promise<void> {
  await waitFor(
    async () => {
      const text = `warm-up ${Date.now()}`;
      const r = await from.client.request({ type: 'chat', stream, text }, 10_000);
      if (r.type !== 'ack') return false;
      await to.client.waitForMessage(() => chats(to.client, stream).includes(text), 3000);
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 1100, message: 'a first message across' },
  );
}

/** Waits for every `sent` text at `to`; a failure names the missing ones. */
async function allArrive(to: Viewer, stream: string, sent: Map<string, number>): Promise<void> {
  await to.client
    .waitForMessage(
      () => [...sent.keys()].every((t) => chats(to.client, stream).includes(t)),
      10_000,
      'every message at the other gateway',
    )
    .catch((error: unknown) => {
      const got = chats(to.client, stream);
      const missing = [...sent.keys()].filter((t) => !got.includes(t));
      throw new Error(`${(error as Error).message}; missing ${missing.join(' ')}`);
    });
}

/** Sends a message every 200 ms for `ms` from `chatters` in turn, recording when each went. */
async function talk(chatters: Viewer[], stream: string, sent: Map<string, number>, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const text = `m${sent.size}`;
    sent.set(text, Date.now());
    await say(chatters[sent.size % chatters.length]!, stream, text);
    await sleep(200);
  }
}

describe('chat relayed by the partition owner', () => {
  it('bounds what crosses to other gateways in a storm, while senders see their own', async () => {
    const c = new Cluster(brokers, undefined, env);
    const stream = 'relay-storm';
    const [a, b] = await Promise.all([c.gateway(), c.gateway()]);
    await c.aggregator('agg-a');
    const chatters = await c.join(a!, stream, 'ch', 40);
    const [watcher] = await c.join(b!, stream, 'wb', 1);
    // On the chatters' own gateway: it is shown the relay's sample too, not their storm.
    const [local] = await c.join(a!, stream, 'wa', 1);
    await warmUp((await c.join(a!, stream, 'wu', 1))[0]!, watcher!, stream);
    const started = Date.now();
    // 120 messages in well under a second: three from each of 40 users (their burst).
    await Promise.all(
      chatters.flatMap((v, i) => [0, 1, 2].map((k) => say(v, stream, `storm ${i}.${k}`))),
    );
    const took = (Date.now() - started) / 1000;
    // Every sender sees all three of its own messages, sampled or not.
    for (const [i, v] of chatters.entries()) {
      await v.client.waitForMessage(
        () => [0, 1, 2].every((k) => chats(v.client, stream).includes(`storm ${i}.${k}`)),
        5000,
        `chatter ${i} sees its own messages`,
      );
    }
    await sleep(TIMEOUT_MS + 500);
    const crossed = chats(watcher!.client, stream).filter((t) => t.startsWith('storm'));
    // The relay's rate and its one-second burst, over the storm's length.
    expect(crossed.length).toBeGreaterThan(0);
    expect(crossed.length).toBeLessThanOrEqual(RELAY_RATE * (1 + took + 1));
    expect(new Set(crossed).size).toBe(crossed.length);
    expect(gaps(watcher!.client, stream)).toBe(0);
    const near = chats(local!.client, stream).filter((t) => t.startsWith('storm'));
    expect(near.sort()).toEqual([...crossed].sort());
    // The sending gateway's account: all went to the relay; what it left out was kept there.
    const text = await (await fetch(`http://127.0.0.1:${a!.port}/metrics`)).text();
    const how = (h: string): number =>
      Number(
        new RegExp(`^roar_chat_relay_total\\{[^}]*how="${h}"[^}]*\\} (\\d+)`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    expect(how('relayed')).toBeGreaterThanOrEqual(120);
    expect(how('kept')).toBeGreaterThanOrEqual(120 - crossed.length);
    expect(how('direct')).toBe(0);
  });

  it('falls back to direct fan-out within the timeout when the owner pauses, then uses the new owner', async () => {
    const c = new Cluster(brokers, undefined, env);
    const stream = 'relay-pause';
    const [a, b] = await Promise.all([c.gateway(), c.gateway()]);
    const aggs = [await c.aggregator('agg-a'), await c.aggregator('agg-b')];
    const chatters = await c.join(a!, stream, 'cp', 30);
    const [watcher] = await c.join(b!, stream, 'wp', 1);
    await warmUp((await c.join(a!, stream, 'wu', 1))[0]!, watcher!, stream);
    const owner = await c.owner(aggs);
    const seen = arrivals(watcher!.client, stream);
    // Slow chat (5 a second, under the relay's rate): everything must reach the other gateway.
    const sent = new Map<string, number>();
    await talk(chatters, stream, sent, 1500);
    owner.process.child.kill('SIGSTOP');
    // Past the lease (1 s): the standby takes the partition and relays.
    await talk(chatters, stream, sent, 6000);
    owner.process.child.kill('SIGCONT');
    // The resumed owner reads its backlog and beats under its old epoch: neither may show.
    await talk(chatters, stream, sent, 3000);
    await allArrive(watcher!, stream, sent);
    seen.stop();
    const late = [...sent].map(([t, at]) => (seen.seen.get(t) ?? Infinity) - at);
    // Delivery waits at most the timeout, a check period (a quarter of it) and the poll's 50 ms,
    // with room for a busy machine; before the pause and after the takeover it is immediate.
    const bound = TIMEOUT_MS + TIMEOUT_MS / 4 + 750;
    expect(Math.max(...late)).toBeLessThan(bound);
    const received = chats(watcher!.client, stream).filter((t) => /^m\d+$/.test(t));
    expect(received.length).toBe(sent.size);
    expect(new Set(received).size).toBe(received.length);
    expect(gaps(watcher!.client, stream)).toBe(0);
    const standby = aggs.find((x) => x !== owner)!;
    expect((await c.owner([standby], 1)).pid).toBe(standby.pid);
  });
});

describe('chat relay killed with no standby', () => {
  it('turns into direct fan-out within the timeout and stays so', async () => {
    const c = new Cluster(brokers, undefined, env);
    const stream = 'relay-kill';
    const [a, b] = await Promise.all([c.gateway(), c.gateway()]);
    const [owner] = [await c.aggregator('agg-only')];
    const chatters = await c.join(a!, stream, 'ck', 30);
    const [watcher] = await c.join(b!, stream, 'wk', 1);
    await warmUp((await c.join(a!, stream, 'wu', 1))[0]!, watcher!, stream);
    const seen = arrivals(watcher!.client, stream);
    const sent = new Map<string, number>();
    await talk(chatters, stream, sent, 1000);
    owner!.process.child.kill('SIGKILL');
    await talk(chatters, stream, sent, 4000);
    await allArrive(watcher!, stream, sent);
    seen.stop();
    const late = [...sent].map(([t, at]) => (seen.seen.get(t) ?? Infinity) - at);
    expect(Math.max(...late)).toBeLessThan(TIMEOUT_MS + TIMEOUT_MS / 4 + 750);
    const received = chats(watcher!.client, stream).filter((t) => /^m\d+$/.test(t));
    expect(new Set(received).size).toBe(sent.size);
    expect(received.length).toBe(sent.size);
    expect(gaps(watcher!.client, stream)).toBe(0);
  });
});
