import { connect } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@roar/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogAppend } from '../src/events.js';
import { connectJetStreamLog } from '../src/jetstream-log.js';
import { describeLogContract } from '../src/log-contract.js';

let server: NatsServer;
let n = 0;
const nextPrefix = (): string => `l${Date.now().toString(36)}${(n++).toString(36)}`;

beforeAll(async () => {
  server = await NatsServer.start({ jetstream: true });
});
afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

describeLogContract('jetstream', async () => {
  if (!server.running) await server.start();
  const opened = [
    await connectJetStreamLog({
      servers: server.url,
      prefix: nextPrefix(),
      queue: { maxQueueAgeMs: 500 },
    }),
  ];
  return {
    log: opened[0]!,
    withRetention: async (retention) => {
      const log = await connectJetStreamLog({
        servers: server.url,
        prefix: nextPrefix(),
        retention,
      });
      opened.push(log);
      return log;
    },
    outage: { stop: () => server.stop(), start: () => server.start() },
    dispose: async () => {
      await Promise.all(opened.map((l) => l.close()));
    },
  };
});

describe('JetStreamLog beyond the contract', () => {
  it('recreates its stream when JetStream comes back empty, and stores again', async () => {
    const log = await connectJetStreamLog({ servers: server.url, prefix: nextPrefix() });
    try {
      log.append('s1', chat('before'));
      await log.flush();
      await server.stop();
      await server.wipeStore();
      await server.start();
      await waitFor(() => log.connected, { timeoutMs: 15_000, message: 'log reconnected' });
      log.append('s1', chat('after'));
      await log.flush();
      // Only what was appended after the restart: the store came back empty.
      expect((await log.read({ stream: 's1' })).map((e) => e.id)).toEqual(['after']);
      expect(log.stats().stored).toBe(2);
    } finally {
      await log.close();
    }
  });

  it('stores its events as the documented JSON envelope on <prefix>.log.<stream>.<type>', async () => {
    const prefix = nextPrefix();
    const log = await connectJetStreamLog({ servers: server.url, prefix });
    const nc = await connect({ servers: server.url });
    try {
      const got: [string, unknown][] = [];
      const sub = nc.subscribe(`${prefix}.log.>`, {
        callback: (_e, m) => void got.push([m.subject, m.json()]),
      });
      await nc.flush();
      log.append('s2', chat('m1'));
      await log.flush();
      await waitFor(() => got.length === 1, { message: 'the stored event seen on its subject' });
      sub.unsubscribe();
      expect(got[0]).toEqual([
        `${prefix}.log.s2.chat.published`,
        { v: 1, type: 'chat.published', id: 'm1', stream: 's2', ts: 1000, data: chat('m1').data },
      ]);
    } finally {
      await nc.close();
      await log.close();
    }
  });
});

function chat(id: string): LogAppend {
  return {
    type: 'chat.published',
    id,
    ts: 1000,
    data: { id, user: { id: 'u', name: 'U' }, text: id },
  };
}
