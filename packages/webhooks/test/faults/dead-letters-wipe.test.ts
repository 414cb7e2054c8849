import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { DeadLetters } from '../../src/dead-letters.js';
import { JetStreamDeadLetterJournal } from '../../src/jetstream-dead-letters.js';
import { letter } from '../../src/dead-letters-contract.js';

// JetStream restarted empty (no store, or a wiped one) under a running webhook process: the
// dead letters it lists were gone from the store, so the next process would have lost them.

describe('dead letters when JetStream comes back empty', () => {
  it('are put back by the process that lists them, for the next one to read', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    const prefix = `dw${Date.now().toString(36)}`;
    const conns: NatsConnection[] = [];
    const open = async () => {
      const nc = await connect({
        servers: nats.url,
        reconnectTimeWait: 100,
        maxReconnectAttempts: -1,
      });
      conns.push(nc);
      return JetStreamDeadLetterJournal.open({ nc, prefix, retryMs: 100 });
    };
    try {
      const journal = await open();
      const letters = await DeadLetters.open(10, journal);
      await letters.add(letter('a', 1, 3));
      await letters.add(letter('b', 4));

      await nats.stop();
      await nats.wipeStore();
      await nats.start();

      // Another process, once this one has reconnected: every letter, whole, in order.
      await waitFor(
        async () => {
          const found = await (await open()).load().catch(() => []);
          return found.map((l) => l.id).join() === 'a-1-3,b-4-4';
        },
        { timeoutMs: 20_000, intervalMs: 250, message: 'the letters back in JetStream' },
      );
      const back = await (await open()).load();
      expect(back.find((l) => l.id === 'a-1-3')?.events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(letters.list().map((l) => l.id)).toEqual(['a-1-3', 'b-4-4']);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  }, 60_000);
});
