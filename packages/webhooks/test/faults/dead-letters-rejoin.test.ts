import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsSuperCluster, untilPlaced, waitFor, waitForStreamReplicas } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { letter } from '../../src/dead-letters-contract.js';
import { JetStreamDeadLetterJournal } from '../../src/jetstream-dead-letters.js';

// The node leading the dead letters' three-copy stream is SIGKILLed and restarted 3 s later, in
// the middle of the other two's election, as a supervisor would restart it. When the journal
// purged a letter's subject before storing it again, nats-server 2.9.10's copy on that node came
// back without the messages stored before (in each of 12 runs: it held messages 3-4 of 4),
// although the leader reported it current, and a load whose one-copy consumer the server placed
// there listed 2 of 4 letters. The journal now deletes parts one message at a time, never with a
// purge: every node's copy must hold every letter, and every load list them all, whole.

const LOADS = 12;

describe('dead letters after their stream’s leader is killed and restarted mid-election', () => {
  it('are held whole by every copy and listed whole by every load', async () => {
    await using nats = await NatsSuperCluster.start({
      regions: [{ name: 'a', servers: 3 }],
      jetstream: true,
    });
    const prefix = `rj${Date.now().toString(36)}`;
    const conns: NatsConnection[] = [];
    const open = async (servers: string) => {
      const nc = await connect({
        servers: servers.split(','),
        reconnectTimeWait: 250,
        maxReconnectAttempts: -1,
      });
      conns.push(nc);
      return untilPlaced(() =>
        JetStreamDeadLetterJournal.open({ nc, prefix, retryMs: 200, replicas: 3 }),
      );
    };
    try {
      const first = await open(nats.url('a'));
      const jsm = await jetstreamManager(conns[0]!);
      const info = (): Promise<StreamInfo> => jsm.streams.info(first.streamName);
      await first.put(letter('a', 1));
      const leader = await waitForStreamReplicas(info, 3);
      const index = Number(leader.slice('a-'.length));

      // The journal under test is connected to the leader's node.
      const journal = await open(nats.serverUrl('a', index));
      await journal.put(letter('a', 2, 4));
      await journal.put(letter('b', 5));
      await nats.kill(leader);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await nats.restart(leader);
      await waitFor(() => journal.ready, { timeoutMs: 60_000, message: 'the journal ready' });
      await waitFor(
        () =>
          journal.put(letter('b', 6, 7)).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 60_000, intervalMs: 200, message: 'a letter stored after the restart' },
      );
      // The leader holds all four, and so does each node's own copy (its /jsz) once it has caught
      // up with the letter stored just now.
      expect((await info()).state.messages).toBe(4);
      let copies = '';
      await waitFor(
        async () => {
          const found = await nats.streamCopies(first.streamName);
          copies = JSON.stringify(found);
          const held = Object.values(found);
          return held.length === 3 && held.every((c) => c.messages === 4 && c.first_seq === 1);
        },
        { timeoutMs: 10_000, message: 'every copy holding the 4 letters' },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; the copies: ${copies}`);
      });

      // The next process, on a node that was not killed, loads them again and again.
      const next = await open(nats.serverUrl('a', (index + 1) % 3));
      const lists: string[] = [];
      for (let i = 0; i < LOADS; i++)
        lists.push((await next.load()).map((l) => `${l.id}:${l.events.length}`).join(','));
      expect(lists).toEqual(Array(LOADS).fill('a-1-1:1,a-2-4:3,b-5-5:1,b-6-7:2'));
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  }, 180_000);
});
