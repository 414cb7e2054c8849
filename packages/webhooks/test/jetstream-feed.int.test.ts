import { connect } from '@nats-io/transport-node';
import { connectJetStreamLog, type JetStreamLog, type LogAppend } from '@roar/log';
import { NatsServer, waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { JetStreamFeed } from '../src/jetstream-feed.js';

// The feed's position across a JetStream that comes back empty (real nats-server -js). The log
// numbers its new stream from 1 again, so a position remembered from the old one must not be
// used in the new one, however the consumer comes to be opened again.

const chat = (id: string): LogAppend => ({
  type: 'chat.published',
  id,
  ts: Date.now(),
  data: { id, user: { id: 'u', name: 'U' }, text: id },
});

/** Reads from the feed until `n` events came (errors while the stream or consumer is missing). */
async function read(feed: JetStreamFeed, n: number, ack = true): Promise<string[]> {
  const ids: string[] = [];
  let last = 0;
  await waitFor(
    async () => {
      try {
        for (const e of await feed.next(100, 200)) {
          ids.push(e.id);
          last = e.seq;
        }
      } catch {
        // The stream or the consumer is not there yet: opened again at the next call.
      }
      return ids.length >= n;
    },
    { timeoutMs: 15_000, message: `${n} events from the feed` },
  );
  if (ack && last > 0) await feed.ack(last);
  return ids;
}

async function wipe(nats: NatsServer, log: JetStreamLog): Promise<void> {
  await nats.stop();
  await nats.wipeStore();
  await nats.start();
  await waitFor(() => log.connected, { timeoutMs: 15_000, message: 'log reconnected' });
}

describe('JetStreamFeed when JetStream comes back empty (real nats-server -js)', () => {
  async function setup(nats: NatsServer, ack = true) {
    const prefix = `wf${Date.now().toString(36)}`;
    const log = await connectJetStreamLog({ servers: nats.url, prefix });
    const nc = await connect({
      servers: nats.url,
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
    });
    const feed = new JetStreamFeed({
      nc,
      prefix,
      endpoint: 'app',
      types: ['chat.published'],
      ackWaitMs: 60_000,
    });
    // The consumer is made at the first read; events appended after it are delivered.
    await feed.next(1, 100);
    for (let i = 0; i < 20; i++) log.append('s', chat(`old${i}`));
    await log.flush();
    expect(await read(feed, 20, ack)).toHaveLength(20);
    return {
      log,
      feed,
      [Symbol.asyncDispose]: async () => {
        await feed.close();
        await nc.close();
        await log.close();
      },
    };
  }

  it('reads the new log from its start when its consumer is opened twice in it', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    await using s = await setup(nats);
    await wipe(nats, s.log);
    // Opened in the new log (empty yet)...
    await waitFor(
      async () => {
        try {
          return (await s.feed.next(1, 100)).length === 0;
        } catch {
          return false;
        }
      },
      { timeoutMs: 15_000, message: 'the consumer opened in the new log' },
    );
    // ...then opened again while that consumer exists (as after a failed fetch), before anything
    // was acknowledged in the new log: the position kept from the old one (20) must not move the
    // consumer past the new log's first events.
    await s.feed.close();
    for (let i = 0; i < 5; i++) s.log.append('s', chat(`new${i}`));
    await s.log.flush();
    expect(await read(s.feed, 5)).toEqual(['new0', 'new1', 'new2', 'new3', 'new4']);
  }, 60_000);

  it('reads the new log from its start when it already holds more events than the old position', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    await using s = await setup(nats);
    await wipe(nats, s.log);
    const ids = Array.from({ length: 30 }, (_, i) => `new${i}`);
    for (const id of ids) s.log.append('s', chat(id));
    await s.log.flush();
    expect(await read(s.feed, 30)).toEqual(ids);
  }, 60_000);

  it('reads the new log from its start when nothing was acknowledged in the old one', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    // The old events were delivered, but their acknowledgement never reached the server (it went
    // down first): the process has no acknowledged position, only the consumer it opened.
    await using s = await setup(nats, false);
    await wipe(nats, s.log);
    for (let i = 0; i < 5; i++) s.log.append('s', chat(`new${i}`));
    await s.log.flush();
    expect(await read(s.feed, 5)).toEqual(['new0', 'new1', 'new2', 'new3', 'new4']);
  }, 60_000);
});
