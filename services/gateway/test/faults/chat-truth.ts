import type { ChatEvent, ServerMessage } from '@roar/protocol';
import { ManagedProcess, TestClient, freePort } from '@roar/testkit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { token } from '../harness.js';

// The known truth of the chat fault tests: who sent what (the acks), and what each receiver got.

/** A chat message the server acknowledged. */
export interface Acked {
  id: string;
  text: string;
  by: string;
  /** The ack's `ts`, when the test keeps it. */
  ts?: number;
}

/** Every chat message `client` got for `stream`: joined history and batches, in arrival order. */
export function chatSeen(client: TestClient, stream: string): ChatEvent[] {
  const out: ChatEvent[] = [];
  for (const m of client.messages) {
    if (m.type === 'joined' && m.stream === stream) out.push(...m.history);
    if (m.type === 'batch' && m.stream === stream)
      for (const e of m.events) if (e.type === 'chat') out.push(e);
  }
  return out;
}

/** Messages `client` was told it missed on `stream` (gap events), and whether any gap was said. */
export function gapsSeen(client: TestClient, stream: string): { events: number; missed: number } {
  let events = 0;
  let missed = 0;
  for (const m of client.messages) {
    if (m.type === 'joined' && m.stream === stream && m.gap) events++;
    if (m.type !== 'batch' || m.stream !== stream) continue;
    for (const e of m.events) {
      if (e.type !== 'gap') continue;
      events++;
      missed += e.missed;
    }
  }
  return { events, missed };
}

/** Batches that said chat was sampled. */
export function sampledBatches(client: TestClient, stream: string): number {
  return client.messages.filter(
    (m) => m.type === 'batch' && m.stream === stream && m.sampled !== undefined,
  ).length;
}

/** The ids of `acked` that `client` has not seen on `stream`. */
export function missingFrom(client: TestClient, stream: string, acked: readonly Acked[]): Acked[] {
  const seen = new Set(chatSeen(client, stream).map((e) => e.id));
  return acked.filter((a) => !seen.has(a.id));
}

/** Connects as `user` and waits for the welcome. */
export async function connectAs(wsUrl: string, user: string): Promise<TestClient> {
  const client = await TestClient.connect(wsUrl, { token: await token(user) });
  await client.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
  return client;
}

/** Sends one chat message and waits for its ack. */
export async function say(
  client: TestClient,
  stream: string,
  by: string,
  text: string,
): Promise<Acked> {
  const reply: ServerMessage = await client.request({ type: 'chat', stream, text }, 10_000);
  if (reply.type !== 'ack' || reply.id === undefined)
    throw new Error(`chat ${text} by ${by} not accepted: ${JSON.stringify(reply)}`);
  return { id: reply.id, text, by };
}

/**
 * A `redis-server` with an append-only file synced on every write: killed with SIGKILL and
 * started again on the same port, it comes back with its data (what `npm run cluster` runs).
 */
export class PersistentRedis implements AsyncDisposable {
  readonly port: number;
  readonly #dir: string;
  #process: ManagedProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
  }

  static async start(): Promise<PersistentRedis> {
    const redis = new PersistentRedis(await freePort(), await mkdtemp(join(tmpdir(), 'roar-aof-')));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#process = new ManagedProcess('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      this.#dir,
      '--protected-mode',
      'yes',
    ]);
    await this.#process.waitForOutput(/Ready to accept connections/, 15_000);
  }

  async kill(): Promise<void> {
    await this.#process?.stop('SIGKILL');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
