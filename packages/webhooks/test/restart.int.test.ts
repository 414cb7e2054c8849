import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { connectJetStreamLog, LogSubjects, type LogAppend } from '@roar/log';
import { silentLogger } from '@roar/runtime';
import { ManagedProcess, NatsServer, waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { MemoryDeadLetterJournal } from '../src/dead-letters.js';
import { parseEndpoints } from '../src/endpoints.js';
import { JetStreamFeed } from '../src/jetstream-feed.js';
import { WebhookService } from '../src/webhook-service.js';
import { Receiver } from './receiver.js';

// The webhook process as deployed (built: `npm run build`).
const MAIN = fileURLToPath(new URL('../../../services/webhooks/dist/main.js', import.meta.url));
const SECRET = 'whsec-test-secret-of-at-least-32-chars';
const STREAMS = ['s0', 's1', 's2'];
const TOTAL = 1500;

describe('webhooks across a process restart (real nats-server -js)', () => {
  it('delivers every event at least once and in order per stream after a SIGKILL', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    await using receiver = await Receiver.start(SECRET);
    const prefix = `wh${Date.now().toString(36)}`;
    const log = await connectJetStreamLog({ servers: nats.url, prefix });
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const env = {
      ...process.env,
      ROAR_NATS_URL: nats.url,
      ROAR_PREFIX: prefix,
      ROAR_WEBHOOK_PORT: '0',
      ROAR_WEBHOOK_MAX_BATCH: '100',
      ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([
        // Two types: the consumer reads the whole log and skips the rest (viewer samples).
        {
          id: 'app',
          url: receiver.url,
          secret: SECRET,
          events: ['chat.published', 'chat.deleted'],
        },
      ]),
    };
    const spawn = async () => {
      const p = new ManagedProcess(process.execPath, [MAIN], env);
      await p.waitForOutput(/webhooks listening/);
      return p;
    };
    let appended = 0;
    const appendSome = (n: number) => {
      for (const end = Math.min(TOTAL, appended + n); appended < end; appended++) {
        const id = `m${appended}`;
        log.append(STREAMS[appended % 3]!, {
          type: 'chat.published',
          id,
          ts: Date.now(),
          data: { id, user: { id: 'u', name: 'U' }, text: id },
        });
        if (appended % 10 === 0) {
          const sample = `v${appended}`;
          log.append('s0', {
            type: 'viewers.sample',
            id: sample,
            ts: Date.now(),
            data: { total: 1 },
          });
        }
      }
    };
    let webhooks = await spawn();
    try {
      // The endpoint is new: it delivers what is appended once its consumer exists.
      const stream = new LogSubjects(prefix).streamName();
      await waitFor(
        async () => (await jsm.consumers.info(stream, 'webhook-app').catch(() => null)) !== null,
        { timeoutMs: 10_000, message: 'the durable consumer' },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${webhooks.output}`);
      });
      receiver.delayMs = 300;
      const feeder = setInterval(() => appendSome(25), 10);
      try {
        // Killed while a delivery is in flight: recorded by the app, never acknowledged.
        await waitFor(() => receiver.accepted.length >= 3, {
          timeoutMs: 15_000,
          message: 'deliveries',
        });
        const inFlight = receiver.accepted.length;
        await waitFor(() => receiver.accepted.length > inFlight, {
          timeoutMs: 10_000,
          message: 'one more',
        });
        webhooks.child.kill('SIGKILL');
        await webhooks.exited;
        const seenAtKill = receiver.events.length;
        webhooks = await spawn();
        receiver.delayMs = 0;
        await waitFor(() => appended >= TOTAL, { timeoutMs: 30_000, message: 'all appended' });
        await log.flush();
        await waitFor(() => new Set(receiver.events.map((e) => e.id)).size >= TOTAL, {
          timeoutMs: 60_000,
          message: `all ${TOTAL} events delivered`,
        });
        expect(seenAtKill).toBeLessThan(TOTAL);
      } finally {
        clearInterval(feeder);
      }
      const events = receiver.events;
      // At least once: every event, and the batch in flight at the kill came again.
      expect(new Set(events.map((e) => e.id)).size).toBe(TOTAL);
      expect(events.length).toBeGreaterThan(TOTAL);
      expect(receiver.badSignatures).toEqual([]);
      expect(events.every((e) => e.type === 'chat.published')).toBe(true);
      for (const s of STREAMS) {
        const firsts: number[] = [];
        const seen = new Set<string>();
        for (const e of events.filter((x) => x.stream === s)) {
          if (seen.has(e.id)) continue;
          seen.add(e.id);
          firsts.push(e.seq);
        }
        // In order per stream: each event first arrives after every earlier one of its stream.
        expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
        expect(firsts).toHaveLength(TOTAL / 3);
      }
    } finally {
      await webhooks.stop('SIGTERM');
      await nc.close();
      await log.close();
    }
  }, 60_000);
});

// Each test waits on several steps with their own deadlines (a broker restart among them): its
// budget covers their sum on a busy machine.
describe('webhooks when JetStream comes back empty', () => {
  it('delivers the new log from its start, not from the old position', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    await using receiver = await Receiver.start(SECRET);
    const prefix = `wx${Date.now().toString(36)}`;
    const log = await connectJetStreamLog({ servers: nats.url, prefix });
    const nc = await connect({
      servers: nats.url,
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
    });
    const endpoints = parseEndpoints(
      [{ id: 'app', url: receiver.url, secret: SECRET, events: ['chat.published'] }],
      false,
    );
    const service = await WebhookService.start({
      endpoints,
      feed: (e) =>
        new JetStreamFeed({ nc, prefix, endpoint: e.id, types: e.events, ackWaitMs: 60_000 }),
      dispatch: {
        maxBatch: 100,
        waitMs: 1000,
        minIntervalMs: 0,
        timeoutMs: 1000,
        maxAttempts: 3,
        backoffBaseMs: 50,
        backoffMaxMs: 200,
      },
      deadLetterMax: 10,
      deadLetterJournal: new MemoryDeadLetterJournal(),
      host: '127.0.0.1',
      port: 0,
      adminApiKeys: [],
      log: silentLogger,
    });
    const chat = (id: string): LogAppend => ({
      type: 'chat.published',
      id,
      ts: Date.now(),
      data: { id, user: { id: 'u', name: 'U' }, text: id },
    });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = new LogSubjects(prefix).streamName();
      await waitFor(
        async () => (await jsm.consumers.info(stream, 'webhook-app').catch(() => null)) !== null,
        { timeoutMs: 10_000, message: 'the durable consumer' },
      );
      for (let i = 0; i < 20; i++) log.append('s', chat(`old${i}`));
      await waitFor(() => receiver.events.length >= 20, {
        timeoutMs: 15_000,
        message: 'old events',
      });
      await nats.stop();
      await nats.wipeStore();
      await nats.start();
      await waitFor(() => log.connected, { timeoutMs: 15_000, message: 'log reconnected' });
      // Fewer than before: their sequence numbers stay below the old position.
      for (let i = 0; i < 5; i++) log.append('s', chat(`new${i}`));
      await waitFor(() => receiver.events.filter((e) => e.id.startsWith('new')).length >= 5, {
        timeoutMs: 20_000,
        message: 'the events of the new log',
      });
      expect(receiver.events.filter((e) => e.id.startsWith('new')).map((e) => e.id)).toEqual([
        'new0',
        'new1',
        'new2',
        'new3',
        'new4',
      ]);
    } finally {
      await service.stop();
      await nc.close();
      await log.close();
    }
  }, 60_000);
});
