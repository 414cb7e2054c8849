import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsSuperCluster, waitFor, waitForStreamReplicas } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { LogAppend } from '../../src/events.js';
import { connectJetStreamLog, type JetStreamLog } from '../../src/jetstream-log.js';
import { LogSubjects } from '../../src/subjects.js';

// ROAR_LOG_REPLICAS on real processes: a 3-node JetStream cluster on loopback, the log's stream
// brought from one copy to three, then the SIGKILL of the node that leads it. A raft election
// among the other two takes 4-9 s in nats-server 2.9; the waits allow for a loaded machine.

const EVENTS_BEFORE = 100;

describe('the log with 3 replicas on a 3-node JetStream cluster', () => {
  it('takes appends and serves reads after its leader is killed, losing nothing acknowledged', async () => {
    await using nats = await NatsSuperCluster.start({
      regions: [{ name: 'a', servers: 3 }],
      jetstream: true,
    });
    const prefix = `rl${Date.now().toString(36)}`;
    const stream = new LogSubjects(prefix).streamName();
    const admin = await connect({ servers: nats.url('a').split(',') });
    const jsm = await jetstreamManager(admin);
    const info = (): Promise<StreamInfo> => jsm.streams.info(stream);
    const logs: JetStreamLog[] = [];
    try {
      // A deployment from before the setting: a stream of one copy, with events in it.
      const single = await connectJetStreamLog({ servers: nats.url('a').split(','), prefix });
      logs.push(single);
      for (let i = 0; i < 20; i++) single.append('final', chat(`r1-${i}`));
      await single.flush();
      expect(single.stats().stored).toBe(20);
      expect((await info()).config.num_replicas).toBe(1);
      await single.close();

      // A process with ROAR_LOG_REPLICAS=3 brings the existing stream to three copies, which
      // catch up with what it held.
      const scaler = await connectJetStreamLog({
        servers: nats.url('a').split(','),
        prefix,
        replicas: 3,
      });
      logs.push(scaler);
      await connected(scaler);
      const leader = await waitForStreamReplicas(info, 3);
      await scaler.close();

      // The log under test is connected to the leader's node: its kill takes both the stream's
      // leader and the log's connection.
      const index = Number(leader.slice('a-'.length));
      const log = await connectJetStreamLog({
        servers: nats.serverUrl('a', index),
        prefix,
        replicas: 3,
      });
      logs.push(log);
      await connected(log);
      for (let i = 0; i < EVENTS_BEFORE; i++) log.append('final', chat(`m${i}`));
      await log.flush();
      // Acknowledged, every one: stored on a majority of the three.
      expect(log.stats()).toMatchObject({ stored: EVENTS_BEFORE, appended: EVENTS_BEFORE });

      await nats.kill(leader);

      // Appends go on once the other two have elected a leader and the log has reconnected.
      // nats-server 2.9.10's two survivors sometimes elect none at all (1 of 30 kills right after
      // a scale-up; once in CI at 0350485): with no leader 30 s after the kill, the killed node is
      // restarted, as a supervisor would, and the test says so (docs/operations.md, "Known
      // issues").
      let after = 0;
      const appendStored = (timeoutMs: number): Promise<void> =>
        waitFor(
          async () => {
            log.append('final', chat(`after-${after++}`));
            await log.flush();
            return log.stats().stored > EVENTS_BEFORE;
          },
          { timeoutMs, intervalMs: 200, message: 'an append stored after the kill' },
        );
      const killed = Date.now();
      let restarted = false;
      await appendStored(30_000).catch(async (error: unknown) => {
        const cluster = await info().then(
          (i) => JSON.stringify(i.cluster),
          (e: unknown) => `no stream info: ${String(e)}`,
        );
        if (cluster.includes('"leader"')) throw error;
        console.log(
          `log, leader killed: no leader among the other two after ${Date.now() - killed} ms (${cluster}); ${leader} restarted`,
        );
        await nats.restart(leader);
        restarted = true;
        await appendStored(60_000);
      });
      // Reads are served, each one (nats-server places a third of the reads' consumers on the
      // killed node, whose creation is never answered: the log tries again), and hold everything
      // acknowledged before the kill.
      let ids: string[] = [];
      for (let i = 0; i < 3; i++) ids = (await log.read({ stream: 'final' })).map((e) => e.id);
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `r1-${i}`),
        ...Array.from({ length: EVENTS_BEFORE }, (_, i) => `m${i}`),
      ];
      expect(ids.slice(0, expected.length)).toEqual(expected);
      // And every append acknowledged since: the stored count is never more than what is there.
      const stored = log.stats().stored - EVENTS_BEFORE;
      expect(ids.filter((id) => id.startsWith('after-')).length).toBeGreaterThanOrEqual(stored);
      const now = await info();
      expect(now.config.num_replicas).toBe(3);
      // (A restarted node may lead again.)
      if (!restarted) expect(now.cluster?.leader).not.toBe(leader);
      // Not asserted: the killed node catching up when it returns. On nats-server 2.9.10 it does
      // (about 2 s), unless reads placed consumers on it while it was down; then its copy stays
      // behind (docs/operations.md, "Known issues").
    } finally {
      await Promise.all(logs.map((l) => l.close()));
      await admin.close();
    }
  }, 180_000);
});

/**
 * Waits for `log` to have its stream, as a deployment's log keeps trying. In one CI run (at
 * ab3e19f) the scaling process had none 5 s after its connect; why was not recorded (right after
 * a cluster's start its meta leader may refuse to place three copies, 'no suitable peers for
 * placement', seen in 1 of 18 runs of the dead letters' test; 10 runs here took 125 ms each). A
 * failure now names the refusal.
 */
async function connected(log: JetStreamLog): Promise<void> {
  await waitFor(() => log.connected, { timeoutMs: 20_000 }).catch(async () => {
    const why = await log.read({ stream: 'final' }).then(
      () => 'none',
      (error: unknown) => String((error as { cause?: unknown }).cause ?? error),
    );
    throw new Error(`the log has no stream after 20 s: ${why}`);
  });
}

function chat(id: string): LogAppend {
  return {
    type: 'chat.published',
    id,
    ts: Date.now(),
    data: { id, user: { id: 'u', name: 'U' }, text: id },
  };
}
