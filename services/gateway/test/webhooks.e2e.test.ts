import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '@roar/webhooks';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { startServer } from './harness.js';

const SECRET = 'whsec-embedded-secret-of-32-chars-or-more';

describe('webhooks in embedded mode', () => {
  it('delivers chat from the memory log to a configured endpoint, signed', async () => {
    const received: { type: string; stream: string; data: { text?: string } }[] = [];
    let bad = 0;
    const app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = req.headers[SIGNATURE_HEADER] as string | undefined;
        if (!verifySignature(SECRET, header, body, Math.floor(Date.now() / 1000)).ok) bad++;
        else received.push(...(JSON.parse(body) as { events: typeof received }).events);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/roar`;
      await using server = await startServer({
        ROAR_WEBHOOK_PORT: '0',
        ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([
          { id: 'app', url, secret: SECRET, events: ['chat.published'] },
        ]),
      });
      expect(server.embedded.webhooks).toBeDefined();
      const a = await server.viewer('final', { user: 'ann' });
      expect(
        await a.request({ type: 'chat', stream: 'final', text: 'what a catch' }),
      ).toMatchObject({ type: 'ack' });
      await waitFor(() => received.length > 0, { timeoutMs: 10_000, message: 'the webhook' });
      expect(received[0]).toMatchObject({
        type: 'chat.published',
        stream: 'final',
        data: { text: 'what a catch' },
      });
      expect(bad).toBe(0);
    } finally {
      app.closeAllConnections();
      await new Promise<void>((resolve) => app.close(() => resolve()));
    }
  });

  it('refuses webhook endpoints on a cluster gateway: the webhook process delivers there', async () => {
    await expect(
      startServer({
        ROAR_MODE: 'gateway',
        ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([
          { id: 'app', url: 'https://app.example.com/', secret: SECRET, events: ['*'] },
        ]),
      }),
    ).rejects.toThrow(/ROAR_WEBHOOK_ENDPOINTS: gateways deliver webhooks in embedded mode/);
  });
});
