import { ManagedProcess, TestClient } from '@roar/testkit';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';

const SLOW_READER = fileURLToPath(new URL('./fixtures/slow-reader.py', import.meta.url));

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern.source, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

interface TcpSocket {
  state: string;
  sendQ: number;
  peer: string;
  /** True when a process still has the socket open (ss prints `users:`). */
  owned: boolean;
}

/** The server side of every TCP socket on `port`, from `ss`. */
function serverSockets(port: number): TcpSocket[] {
  const out = execFileSync('ss', ['-tanpH', `( sport = :${port} )`], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && f[0] !== 'LISTEN')
    .map((f) => ({
      state: f[0] as string,
      sendQ: Number(f[2]),
      peer: f[4] as string,
      owned: f.slice(5).some((x) => x.startsWith('users:')),
    }));
}

async function until(done: () => Promise<boolean> | boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admitted(server: TestServer): Promise<TestClient | undefined> {
  try {
    return await server.connect();
  } catch (error) {
    if (String(error).includes('HTTP 503')) return undefined;
    throw error;
  }
}

describe('slow-client teardown', () => {
  it('lets go of a never-reading client at once, and counts its address until the kernel may have let go too', async () => {
    await using server = await startServer({
      ROAR_CHAT_BUDGET: '1000',
      ROAR_CHAT_RATE: '1000',
      ROAR_CHAT_BURST: '1000',
      ROAR_FRAME_RATE: '2000',
      ROAR_FRAME_BURST: '2000',
      ROAR_SOFT_BACKPRESSURE_BYTES: '16384',
      ROAR_MAX_BACKPRESSURE_BYTES: '4194304',
      ROAR_SLOW_CLIENT_MAX_MS: '500',
      ROAR_MAX_CONNECTIONS_PER_IP: '3',
      ROAR_SLOW_CLOSE_LINGER_MS: '4000',
    });
    const sender = await server.viewer('heavy', { user: 'sender' });
    const reader = new ManagedProcess('python3', [SLOW_READER, String(server.port), 'heavy']);
    try {
      await reader.waitForOutput(/joined/);
      const closes = () =>
        metric(server, /^roar_server_closes_total\{[^}]*code="4001"[^}]*\} (\d+)/);
      const big = '🔥'.repeat(490);
      let n = 0;
      await until(
        async () => {
          // About 2 KB a message, 100 a round, until the reader is found slow and closed.
          for (let i = 0; i < 100; i++)
            sender.send({ type: 'chat', stream: 'heavy', text: `${big} ${n++}` });
          return (await closes()) === 1;
        },
        30_000,
        'the slow reader to be closed',
      );
      const closedAt = Date.now();

      // The gateway keeps nothing: no socket of its port still open in this process with MiBs
      // queued (end() left it ESTABLISHED, descriptor and uWS buffer held, for as long as the
      // peer did not read).
      let seen: TcpSocket[] = [];
      await until(
        () => {
          seen = serverSockets(server.port).filter((s) => s.sendQ > 256 * 1024);
          return seen.every((s) => !s.owned);
        },
        3000,
        'the gateway to let go of the slow reader',
      );
      console.log(`after the slow close: ${JSON.stringify(seen)}`);

      // The sender, and the aborted reader while the kernel may hold it: 2 of 3 slots.
      const third = await admitted(server);
      expect(third, 'a third connection fits').toBeDefined();
      expect(
        await admitted(server),
        'a fourth does not: the aborted socket still counts',
      ).toBeUndefined();
      // After the linger time the address has its slot back.
      await until(async () => (await admitted(server)) !== undefined, 10_000, 'the slot back');
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(3500);
    } finally {
      await reader.stop('SIGKILL');
    }
  }, 60_000);
});
