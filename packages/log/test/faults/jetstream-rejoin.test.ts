import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsSuperCluster, waitFor, waitForStreamReplicas } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { LogAppend } from '../../src/events.js';
import { connectJetStreamLog, type JetStreamLog } from '../../src/jetstream-log.js';
import { LogSubjects } from '../../src/subjects.js';

// The node leading the log's three-copy stream is SIGKILLed and restarted 3 s later, in the
// middle of the other two's election, as a supervisor would restart it. nats-server 2.9.10's copy
// on that node then lacks what was stored before (seen with the dead letters, 6 runs of 6),
// although the leader reports it current; a read's one-copy consumer placed there would read that
// copy. Every read must hold every acknowledged event, wherever the server places its consumer.

const BEFORE = 50;
const READS = 12;

describe('the log after its stream’s leader is killed and restarted mid-election', () => {
  it('serves every acknowledged event to every read, also while the returned node’s copy is short', async () => {
    await using nats = await NatsSuperCluster.start({
      regions: [{ name: 'a', servers: 3 }],
      jetstream: true,
    });
    const prefix = `rr${Date.now().toString(36)}`;
    const stream = new LogSubjects(prefix).streamName();
    const admin = await connect({ servers: nats.url('a').split(',') });
    const jsm = await jetstreamManager(admin);
    const info = (): Promise<StreamInfo> => jsm.streams.info(stream);
    const logs: JetStreamLog[] = [];
    const open = async (servers: string): Promise<JetStreamLog> => {
      const log = await connectJetStreamLog({ servers: servers.split(','), prefix, replicas: 3 });
      logs.push(log);
      // Right after the cluster's start the meta leader may not place three copies yet.
      await waitFor(() => log.connected, { timeoutMs: 20_000, message: 'the log connected' });
      return log;
    };
    try {
      const first = await open(nats.url('a'));
      first.append('final', chat('seed'));
      await first.flush();
      const leader = await waitForStreamReplicas(info, 3);
      const index = Number(leader.slice('a-'.length));

      // The log under test is connected to the leader's node.
      const log = await open(nats.serverUrl('a', index));
      for (let i = 0; i < BEFORE; i++) log.append('final', chat(`m${i}`));
      await log.flush();
      expect(log.stats().stored).toBe(BEFORE);
      await nats.kill(leader);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await nats.restart(leader);
      let after = 0;
      await waitFor(
        async () => {
          log.append('final', chat(`after-${after++}`));
          await log.flush();
          return log.stats().stored > BEFORE;
        },
        { timeoutMs: 60_000, intervalMs: 200, message: 'an append stored after the restart' },
      );
      const stored = (await info()).state.messages;
      const copies = await nats.streamCopies(stream);
      const short = Object.entries(copies)
        .filter(([, c]) => c.messages < stored)
        .map(([name, c]) => `${name} (${c.messages} of ${stored}, from seq ${c.first_seq})`);

      // A process on a node that was not killed reads the stream again and again.
      const reader = await open(nats.serverUrl('a', (index + 1) % 3));
      const reads: number[] = [];
      let last: string[] = [];
      for (let i = 0; i < READS; i++) {
        last = (await reader.read({ stream: 'final' })).map((e) => e.id);
        reads.push(last.length);
      }
      console.log(
        `log, leader ${leader} killed and restarted 3 s later: short copies ${short.join(', ') || 'none'}; events per read ${reads.join(',')}`,
      );
      expect(reads).toEqual(Array(READS).fill(stored));
      expect(last.slice(0, BEFORE + 1)).toEqual([
        'seed',
        ...Array.from({ length: BEFORE }, (_, i) => `m${i}`),
      ]);
    } finally {
      await Promise.all(logs.map((l) => l.close()));
      await admin.close();
    }
  }, 180_000);
});

function chat(id: string): LogAppend {
  return {
    type: 'chat.published',
    id,
    ts: Date.now(),
    data: { id, user: { id: 'u', name: 'U' }, text: id },
  };
}
