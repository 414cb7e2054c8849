import { createRedisStore, GLOBAL_SCOPE, type RedisStore } from '@roar/store';
import { sleep, TestClient, waitFor } from '@roar/testkit';
import { expect } from 'vitest';
import { token } from '../harness.js';

/**
 * The users every moderation fault test sends chat as: four who must never be acked, one who
 * must be once moderation is loaded (so a gateway refusing everyone cannot pass).
 */
export const BAD = {
  /** Banned everywhere. */
  global: 'gbanned',
  /** Banned in the test's stream. */
  stream: 'sbanned',
  /** Timed out in the test's stream for 10 minutes. */
  timeout: 'timedout',
  /** Not banned; every message holds a banned term. */
  term: 'termer',
} as const;
export const GOOD = 'good';
export const BANNED_TERM = 'forbiddenword';
/** The stream's slow mode: the good user, who tries ten times a second, gets one ack a second. */
export const SLOW_MODE_S = 1;

/**
 * Puts the bans, the timeout, the banned term and slow mode of `stream` in the store, as
 * moderators would.
 */
export async function moderate(store: RedisStore, stream: string): Promise<void> {
  const at = Date.now();
  const ban = { reason: 'fault test', by: 'mod', at };
  await store.moderation.putBan({ ...ban, userId: BAD.global, scope: GLOBAL_SCOPE, until: null });
  await store.moderation.putBan({ ...ban, userId: BAD.stream, scope: stream, until: null });
  await store.moderation.putBan({
    ...ban,
    userId: BAD.timeout,
    scope: stream,
    until: at + 600_000,
  });
  await store.moderation.putSettings(stream, {
    bannedTerms: [BANNED_TERM],
    slowModeS: SLOW_MODE_S,
  });
}

/** Moderates `stream` (see `moderate`) through a store of its own, closed afterwards. */
export async function seedModeration(url: string, prefix: string, stream: string): Promise<void> {
  const store = testStore(url, prefix);
  await store.ready();
  await moderate(store, stream);
  await store.close();
}

export function testStore(url: string, prefix: string): RedisStore {
  return createRedisStore({ url, prefix, historyCapacity: 200, onConnectionError: () => {} });
}

interface Outcome {
  gateway: string;
  user: string;
  /** `ack`, an error code, or `no-reply`. */
  result: string;
  /** When the message was sent, and when its reply came. */
  sentAt: number;
  at: number;
}

/**
 * Chat from every test user on every gateway, one message per user per `intervalMs`, each reply
 * recorded, until `stop()`. Each user has its own connection per gateway.
 */
export class ChatProbe {
  readonly outcomes: Outcome[] = [];
  readonly #loops: Promise<void>[] = [];
  readonly #clients: TestClient[] = [];
  readonly #stream: string;
  readonly #intervalMs: number;
  #running = true;

  constructor(stream: string, intervalMs = 100) {
    this.#stream = stream;
    this.#intervalMs = intervalMs;
  }

  /** Connects every user to the gateway at `wsUrl`, joins the stream and starts chatting. */
  async add(gateway: string, wsUrl: string): Promise<void> {
    const users = [...Object.values(BAD), GOOD];
    const clients = await Promise.all(
      users.map(async (user) => {
        const client = await TestClient.connect(wsUrl, { token: await token(user) });
        await client.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
        const joined = await client.request({ type: 'join', stream: this.#stream }, 15_000);
        if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
        return client;
      }),
    );
    this.#clients.push(...clients);
    users.forEach((user, i) => this.#loops.push(this.#chat(gateway, user, clients[i]!)));
  }

  async #chat(gateway: string, user: string, client: TestClient): Promise<void> {
    for (let n = 0; this.#running && n < 100_000; n++) {
      const text = user === BAD.term ? `${n} says ${BANNED_TERM}` : `${user} message ${n}`;
      let result: string;
      const sentAt = Date.now();
      try {
        const reply = await client.request({ type: 'chat', stream: this.#stream, text }, 5000);
        result = reply.type === 'ack' ? 'ack' : reply.type === 'error' ? reply.code : reply.type;
      } catch {
        result = 'no-reply';
      }
      this.outcomes.push({ gateway, user, result, sentAt, at: Date.now() });
      await sleep(this.#intervalMs);
    }
  }

  /** Acks of users who must never have one: should stay empty. */
  badAcks(): Outcome[] {
    const bad = new Set<string>(Object.values(BAD));
    return this.outcomes.filter((o) => bad.has(o.user) && o.result === 'ack');
  }

  /** True once `user` got an ack on `gateway` after `since`. */
  ackedSince(gateway: string, user: string, since: number): boolean {
    return this.outcomes.some(
      (o) => o.gateway === gateway && o.user === user && o.result === 'ack' && o.at >= since,
    );
  }

  /** True once every user must-not-be-acked had `n` replies on each of `gateways` after `since`. */
  badUsersTried(gateways: readonly string[], since: number, n: number): boolean {
    return gateways.every((gateway) =>
      Object.values(BAD).every(
        (user) =>
          this.outcomes.filter((o) => o.gateway === gateway && o.user === user && o.at >= since)
            .length >= n,
      ),
    );
  }

  /**
   * Acks of the good user on one gateway closer together than `gapMs`: slow mode not enforced.
   * (Reply times, so a gap somewhat under the slow mode's second is still enforcement.)
   */
  slowModeBreaches(gapMs: number): Outcome[] {
    const last = new Map<string, number>();
    const out: Outcome[] = [];
    for (const o of this.outcomes) {
      if (o.user !== GOOD || o.result !== 'ack') continue;
      const previous = last.get(o.gateway);
      if (previous !== undefined && o.at - previous < gapMs) out.push(o);
      last.set(o.gateway, o.at);
    }
    return out;
  }

  /** How many replies of each kind each user had, for failure messages. */
  summary(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const o of this.outcomes) {
      const row = (out[`${o.gateway}/${o.user}`] ??= {});
      row[o.result] = (row[o.result] ?? 0) + 1;
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const c of this.#clients) c.terminate();
  }
}

/** A gauge or counter from a gateway's /metrics (summed over label sets), or undefined. */
export async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !/^[a-z_]+(\{|\s)/.test(line)) continue;
    if (line.slice(0, line.search(/[{\s]/)) !== name) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

/** Waits until each gateway answers /readyz with 200, for up to 15 s each. */
export async function allReady(...gateways: { port: number }[]): Promise<void> {
  for (const g of gateways)
    await waitFor(async () => (await readyz(g.port)) === 200, {
      timeoutMs: 15_000,
      message: 'gateways ready',
    });
}

/** Asserts that at least one of the gateways counted a data loss of the store. */
export async function expectDataLossCounted(...gateways: { port: number }[]): Promise<void> {
  const losses: (number | undefined)[] = [];
  for (const g of gateways) losses.push(await metric(g.port, 'roar_store_data_loss_total'));
  expect(
    losses.some((n) => (n ?? 0) >= 1),
    `data loss counted: ${losses.join(',')}`,
  ).toBe(true);
}

/** Env for the fault tests' gateways: chat limits out of the way of the probe's pace. */
export const FAULT_ENV = {
  ROAR_CHAT_RATE: '50',
  ROAR_CHAT_BURST: '50',
  ROAR_FRAME_RATE: '200',
  ROAR_FRAME_BURST: '400',
  ROAR_LOG_LEVEL: 'info',
};
