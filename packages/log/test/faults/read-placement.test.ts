import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
} from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { NatsSuperCluster, untilPlaced, waitForStreamReplicas } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { addReadConsumer, readApis } from '../../src/jetstream-stream.js';

// A one-copy read consumer reads the copy of the node nats-server places it on. nats-server
// 2.9.10 leaves a short copy on a node SIGKILLed while it led a three-copy stream and restarted
// 3 s later, mid-election, when the stream's messages were stored after purges by subject (as
// the webhooks' dead letters once were): that copy lacks what was stored before, while the leader
// reports it current. Made here on a stream of its own; every read consumer Roar creates must
// see the whole stream, whichever node holds the short copy.

const READS = 12;
const CONSUMER: Partial<ConsumerConfig> = {
  ack_policy: AckPolicy.None,
  deliver_policy: DeliverPolicy.All,
  inactive_threshold: nanos(10_000),
  mem_storage: true,
  num_replicas: 1,
};

describe('read consumers on a stream with a short copy', () => {
  it('are kept on the stream’s leader, so each sees every message', async () => {
    await using nats = await NatsSuperCluster.start({
      regions: [{ name: 'a', servers: 3 }],
      jetstream: true,
    });
    const nc = await connect({
      servers: nats.url('a').split(','),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const put = async (stream: string, key: string): Promise<void> => {
        await jsm.streams.purge(stream, { filter: `${stream}.${key}` });
        await js.publish(`${stream}.${key}`, key, { timeout: 2000 });
      };
      // The restart can also leave the short copy leading (seen once in CI): the stream then
      // reports 2 of the 4 messages it acknowledged, to every reader, and no placement can do
      // better. That is nats-server losing acknowledged messages, which Roar avoids by never
      // purging; here it is not the case under test, so it is recorded and made again.
      let stream = '';
      let total = 0;
      for (let attempt = 1; total !== 4; attempt++) {
        if (stream) {
          console.log(`read placement: the short copy leads (${total} of 4), made again`);
          await jsm.streams.delete(stream);
        }
        if (attempt > 3) throw new Error('the short copy led the stream in 3 attempts of 3');
        stream = `RP${attempt}${Date.now().toString(36).toUpperCase()}`;
        const name = stream;
        await untilPlaced(() =>
          jsm.streams.add({ name, subjects: [`${name}.>`], num_replicas: 3 }),
        );
        await put(stream, 'a');
        const leader = await waitForStreamReplicas(() => jsm.streams.info(name), 3);
        await put(stream, 'b');
        await put(stream, 'c');
        await nats.kill(leader);
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await nats.restart(leader);
        for (let tries = 0; ; tries++) {
          try {
            await put(stream, 'd');
            break;
          } catch (error) {
            if (tries > 150) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
        total = (await jsm.streams.info(stream)).state.messages;
      }
      const short = Object.entries(await nats.streamCopies(stream))
        .filter(([, c]) => c.messages < total)
        .map(([name, c]) => `${name} (${c.messages} of ${total})`);

      // What a consumer placed anywhere sees, for the record: some see the short copy.
      const anywhere: number[] = [];
      for (let i = 0; i < READS; i++) {
        const info = await jsm.consumers.add(stream, CONSUMER);
        anywhere.push(info.num_pending);
        await jsm.consumers.delete(stream, info.name);
      }
      const apis = await readApis(nc);
      const placed: number[] = [];
      for (let i = 0; i < READS; i++) {
        const info = await addReadConsumer(apis, stream, CONSUMER);
        placed.push(info.num_pending);
        await jsm.consumers.delete(stream, info.name);
      }
      console.log(
        `read placement: short copies ${short.join(', ') || 'none'}; messages seen by consumers placed anywhere ${anywhere.join(',')}, by Roar's ${placed.join(',')}`,
      );
      expect(placed).toEqual(Array(READS).fill(total));
    } finally {
      await nc.close();
    }
  }, 180_000);
});
