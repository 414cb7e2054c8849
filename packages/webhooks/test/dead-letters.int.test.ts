import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { connectJetStreamLog } from '@roar/log';
import { ManagedProcess, NatsServer, waitFor } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDeadLetterContract } from '../src/dead-letters-contract.js';
import { JetStreamDeadLetterJournal } from '../src/jetstream-dead-letters.js';
import { Receiver } from './receiver.js';

let server: NatsServer;
let n = 0;
const nextPrefix = (): string => `dl${Date.now().toString(36)}${(n++).toString(36)}`;

beforeAll(async () => {
  server = await NatsServer.start({ jetstream: true });
});
afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

describeDeadLetterContract('jetstream', async () => {
  const prefix = nextPrefix();
  const conns: NatsConnection[] = [];
  const open = async () => {
    const nc = await connect({ servers: server.url });
    conns.push(nc);
    return JetStreamDeadLetterJournal.open({ nc, prefix });
  };
  return {
    journal: await open(),
    // A new connection: nothing of the first process's client state carries over.
    reopen: open,
    dispose: async () => {
      await Promise.all(conns.map((c) => c.close()));
    },
  };
});

// The webhook process as deployed (built: `npm run build`).
const MAIN = fileURLToPath(new URL('../../../services/webhooks/dist/main.js', import.meta.url));
const SECRET = 'whsec-test-secret-of-at-least-32-chars';
const KEY = 'ops-key-of-at-least-thirty-two-characters';

describe('dead letters across a webhook process restart (real nats-server -js)', () => {
  it('lists and redelivers what the killed process dead-lettered', async () => {
    await using receiver = await Receiver.start(SECRET);
    receiver.mode = 'fail';
    const prefix = nextPrefix();
    const log = await connectJetStreamLog({ servers: server.url, prefix });
    const env = {
      ...process.env,
      ROAR_NATS_URL: server.url,
      ROAR_PREFIX: prefix,
      ROAR_WEBHOOK_PORT: '0',
      ROAR_WEBHOOK_MAX_ATTEMPTS: '2',
      ROAR_WEBHOOK_BACKOFF_MS: '10',
      ROAR_WEBHOOK_TIMEOUT_MS: '1000',
      ROAR_WEBHOOK_ACK_WAIT_MS: '10000',
      ROAR_ADMIN_API_KEYS: `ops:${KEY}`,
      ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([
        { id: 'app', url: receiver.url, secret: SECRET, events: ['chat.published'] },
      ]),
    };
    const spawn = async () => {
      const p = new ManagedProcess(process.execPath, [MAIN], env);
      await p.waitForOutput(/webhooks listening/);
      const port = /"port":\s*(\d+)/.exec(p.output)?.[1];
      if (port === undefined) throw new Error(`no port in:\n${p.output}`);
      const admin = async (path: string, method = 'GET') => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { 'x-api-key': KEY },
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      return { p, admin };
    };
    const failures = async (admin: Awaited<ReturnType<typeof spawn>>['admin']) =>
      (await admin('/webhooks/v1/failures')).body.failures as { id: string; events: number }[];
    let webhooks = await spawn();
    try {
      // A new endpoint delivers what comes after its consumer exists: append until it fails.
      let i = 0;
      await waitFor(
        async () => {
          log.append('s', {
            type: 'chat.published',
            id: `m${i}`,
            ts: Date.now(),
            data: { id: `m${i}`, user: { id: 'u', name: 'U' }, text: `m${i}` },
          });
          i++;
          await log.flush();
          return (await failures(webhooks.admin)).length > 0;
        },
        { timeoutMs: 20_000, message: 'a dead letter' },
      );
      const before = await failures(webhooks.admin);
      webhooks.p.child.kill('SIGKILL');
      await webhooks.p.exited;

      webhooks = await spawn();
      const after = await failures(webhooks.admin);
      // Every letter the killed process listed (more may have come since).
      expect(after.map((f) => f.id)).toEqual(expect.arrayContaining(before.map((f) => f.id)));
      const endpoints = (await webhooks.admin('/webhooks/v1/endpoints')).body.endpoints as {
        deadLetters: number;
      }[];
      expect(endpoints[0]?.deadLetters).toBe(after.length);

      receiver.mode = 'ok';
      const first = before[0]!;
      const redelivered = await webhooks.admin(
        `/webhooks/v1/failures/${first.id}/redeliver`,
        'POST',
      );
      expect(redelivered).toEqual({ status: 200, body: { delivered: first.events } });
      await webhooks.p.stop('SIGTERM');

      // Redelivered is gone for good: the next process does not list it.
      webhooks = await spawn();
      const last = await failures(webhooks.admin);
      expect(last.map((f) => f.id)).not.toContain(first.id);
      expect(last.length).toBe(after.length - 1);
    } finally {
      await webhooks.p.stop('SIGTERM');
      await log.close();
    }
  }, 60_000);
});
