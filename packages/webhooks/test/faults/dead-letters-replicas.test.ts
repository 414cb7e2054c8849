import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsSuperCluster, untilPlaced, waitFor, waitForStreamReplicas } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { JetStreamDeadLetterJournal } from '../../src/jetstream-dead-letters.js';
import { letter } from '../../src/dead-letters-contract.js';

// ROAR_WEBHOOK_DEAD_REPLICAS on real processes: the dead-letter stream of a 3-node JetStream
// cluster on loopback brought from one copy to three, then the SIGKILL of the node that leads it
// and holds the journal's connection. A raft election among the other two takes 4-9 s in
// nats-server 2.9 (the stream's own, after the meta leader's, can take longer on a loaded
// machine); the waits allow for that.

describe('dead letters with 3 replicas on a 3-node JetStream cluster', () => {
  it('keeps every stored letter and stores again after its leader is killed', async () => {
    await using nats = await NatsSuperCluster.start({
      regions: [{ name: 'a', servers: 3 }],
      jetstream: true,
    });
    const prefix = `rd${Date.now().toString(36)}`;
    const conns: NatsConnection[] = [];
    const connection = async (servers: string) => {
      const nc = await connect({
        servers: servers.split(','),
        reconnectTimeWait: 250,
        maxReconnectAttempts: -1,
      });
      conns.push(nc);
      return nc;
    };
    // Right after the cluster's start, the meta leader may not yet know every peer well enough to
    // place copies on them ('no suitable peers for placement', seen once in 18 runs): the open is
    // tried again meanwhile, as a webhook process restarted by its supervisor would be.
    const open = async (servers: string, replicas?: number, nc?: NatsConnection) => {
      const on = nc ?? (await connection(servers));
      return untilPlaced(() =>
        JetStreamDeadLetterJournal.open({
          nc: on,
          prefix,
          retryMs: 200,
          ...(replicas === undefined ? {} : { replicas }),
        }),
      );
    };
    try {
      // A deployment from before the setting: one copy, one letter in it. Its process ends
      // before the next starts: left running, it would take the stream back to one copy when
      // its connection comes back after the kill (as a process with the default would).
      const before = await connect({ servers: nats.url('a').split(',') });
      const single = await open(nats.url('a'), undefined, before);
      await single.put(letter('a', 1));
      await before.close();
      const jsm = await jetstreamManager(await connection(nats.url('a')));
      const info = (): Promise<StreamInfo> => jsm.streams.info(single.streamName);
      expect((await info()).config.num_replicas).toBe(1);

      // A webhook process with ROAR_WEBHOOK_DEAD_REPLICAS=3 brings it to three copies.
      await open(nats.url('a'), 3);
      const leader = await waitForStreamReplicas(info, 3);

      // The journal under test is connected to the leader's node.
      const journal = await open(nats.serverUrl('a', Number(leader.slice('a-'.length))), 3);
      expect(journal.ready).toBe(true);
      // Resolved: acknowledged by a majority of the three.
      await journal.put(letter('a', 2, 4));
      await journal.put(letter('b', 5));

      await nats.kill(leader);
      const killed = Date.now();
      await waitFor(() => !journal.ready, { timeoutMs: 10_000, message: 'the journal unready' });
      // Ready again once it has reconnected and the other two have a leader, without a letter.
      // Measured: 5.3-8.8 s after the kill with three busy loops on the two cores. nats-server
      // 2.9.10's two survivors sometimes elect no leader at all (seen in 1 of 30 kills right
      // after a scale-up, still none 60 s on; and once in CI): the journal stays unready, as it
      // must, until the killed node is back. The test then restarts that node, as a supervisor
      // would, and says so.
      const cluster = (): Promise<string> =>
        info().then(
          (i) => JSON.stringify(i.cluster),
          (e: unknown) => `no stream info: ${String(e)}`,
        );
      const elected = await waitFor(() => journal.ready, { timeoutMs: 30_000 }).then(
        () => true,
        () => false,
      );
      const seen = elected ? '' : await cluster();
      // (A leader seen now, the journal not ready: its check is due, or it is Roar's fault; the
      // wait below tells which.)
      if (!elected && !seen.includes('"leader"')) {
        console.log(
          `dead letters, leader killed: no leader among the other two after ${Date.now() - killed} ms (${seen}); ${leader} restarted`,
        );
        await nats.restart(leader);
      }
      await waitFor(() => journal.ready, { timeoutMs: 60_000, message: 'the journal ready' }).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}; the stream's cluster: ${await cluster()}`);
        },
      );
      const ready = Date.now();
      // The dispatcher retries a letter the journal refuses; so does this. A store sent before the
      // stream has a leader again is not answered and waits the client's 5 s timeout. (Runs that
      // waited more than 30 s for either had left the one-copy journal above connected: back
      // from the kill, it took the stream to one copy during the election.) The last refusal is
      // kept for the failure message.
      let refused: unknown;
      await waitFor(
        () =>
          journal.put(letter('b', 6, 7)).then(
            () => true,
            (error: unknown) => ((refused = error), false),
          ),
        { timeoutMs: 60_000, intervalMs: 200, message: 'a letter stored after the kill' },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; the last refusal: ${String(refused)}`);
      });
      console.log(
        `dead letters, leader killed: ready again after ${ready - killed} ms, a letter stored after ${Date.now() - killed} ms`,
      );

      // The next process (same setting, another connection, on a surviving node) finds all of
      // them, whole. (One with the default would take the stream back to one copy.)
      const next = await open(nats.serverUrl('a', (Number(leader.slice('a-'.length)) + 1) % 3), 3);
      const letters = await next.load();
      expect(letters.map((l) => l.id)).toEqual(['a-1-1', 'a-2-4', 'b-5-5', 'b-6-7']);
      expect(letters.find((l) => l.id === 'a-2-4')?.events.map((e) => e.seq)).toEqual([2, 3, 4]);
      await next.delete('a-2-4');
      expect((await journal.load()).map((l) => l.id)).toEqual(['a-1-1', 'b-5-5', 'b-6-7']);
      expect((await info()).config.num_replicas).toBe(3);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  }, 240_000);
});
