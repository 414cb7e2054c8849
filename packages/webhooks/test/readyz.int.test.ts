import { fileURLToPath } from 'node:url';
import { connectJetStreamLog } from '@roar/log';
import { ManagedProcess, NatsServer, waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import type { WebhookReadiness } from '../src/readiness.js';
import { Receiver } from './receiver.js';

// The webhook process as deployed (built: `npm run build`).
const MAIN = fileURLToPath(new URL('../../../services/webhooks/dist/main.js', import.meta.url));
const SECRET = 'whsec-test-secret-of-at-least-32-chars';

describe('the webhook process’s /readyz (real nats-server -js)', () => {
  it('goes 503 while NATS is down, naming what is missing, and 200 once it is back', async () => {
    await using nats = await NatsServer.start({ jetstream: true });
    await using receiver = await Receiver.start(SECRET);
    const prefix = `rz${Date.now().toString(36)}`;
    // The log's stream exists (a gateway made it): the feeds can open their consumers.
    const log = await connectJetStreamLog({ servers: nats.url, prefix });
    const endpoint = (id: string) => ({
      id,
      url: receiver.url,
      secret: SECRET,
      events: ['chat.published'],
    });
    const p = new ManagedProcess(process.execPath, [MAIN], {
      ...process.env,
      ROAR_NATS_URL: nats.url,
      ROAR_PREFIX: prefix,
      ROAR_WEBHOOK_PORT: '0',
      ROAR_WEBHOOK_BACKOFF_MS: '100',
      ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([endpoint('app'), endpoint('crm')]),
    });
    try {
      await p.waitForOutput(/webhooks listening/);
      const port = /"port":\s*(\d+)/.exec(p.output)?.[1];
      let last: { status: number; body: WebhookReadiness } | undefined;
      const readyz = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        last = { status: res.status, body: (await res.json()) as WebhookReadiness };
        return last;
      };
      const ready = { nats: true, deadLetters: true, feeds: { app: true, crm: true }, missing: [] };
      await waitFor(async () => (await readyz()).status === 200, {
        timeoutMs: 10_000,
        intervalMs: 50,
        message: '/readyz 200 after the start',
      });
      expect(last).toEqual({ status: 200, body: ready });

      await nats.stop();
      await waitFor(async () => (await readyz()).status === 503, {
        timeoutMs: 10_000,
        intervalMs: 50,
        message: '/readyz 503 with NATS down',
      });
      expect(last?.body).toMatchObject({ nats: false, deadLetters: false });
      expect(last?.body.missing).toEqual(
        expect.arrayContaining([
          'NATS is disconnected',
          'the dead-letter journal is not open',
          'endpoint app: its consumer is not open since the last (re)connect',
          'endpoint crm: its consumer is not open since the last (re)connect',
        ]),
      );

      // Back (its store kept): ready again once every consumer has been opened again.
      await nats.start();
      await waitFor(async () => (await readyz()).status === 200, {
        timeoutMs: 20_000,
        intervalMs: 50,
        message: '/readyz 200 after NATS came back',
      });
      expect(last).toEqual({ status: 200, body: ready });
      // And ready means delivering: an event appended now reaches the endpoints.
      await waitFor(() => log.connected, { timeoutMs: 10_000, message: 'the log reconnected' });
      log.append('s', {
        type: 'chat.published',
        id: 'after',
        ts: Date.now(),
        data: { id: 'after', user: { id: 'u', name: 'U' }, text: 'after' },
      });
      await log.flush();
      await waitFor(() => receiver.events.filter((e) => e.id === 'after').length === 2, {
        timeoutMs: 10_000,
        message: 'the event delivered to both endpoints',
      });
    } finally {
      await p.stop('SIGTERM');
      await log.close();
    }
  }, 60_000);
});
