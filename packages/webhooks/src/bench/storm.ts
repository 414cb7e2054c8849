import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventLog } from '@roar/log';
import { silentLogger } from '@roar/runtime';
import { DeadLetters, MemoryDeadLetterJournal } from '../dead-letters.js';
import { Dispatcher, type DispatchOptions } from '../dispatcher.js';
import type { WebhookEndpoint } from '../endpoints.js';
import type { EventFeed } from '../feed.js';
import { WebhookMetrics } from '../metrics.js';
import { verifySignature } from '../signature.js';

export interface StormOptions {
  /** Chat messages per second appended to the log during the storm. */
  ratePerS: number;
  seconds: number;
  streams: number;
  /** How long the app's endpoint takes to answer a delivery. */
  receiverLatencyMs: number;
  dispatch: DispatchOptions;
}

export interface StormResult {
  events: number;
  delivered: number;
  requests: number;
  meanEventsPerRequest: number;
  /** Mean over the requests sent while the storm lasted (the first, before a backlog, aside). */
  stormEventsPerRequest: number;
  minStormEventsPerRequest: number;
  p99DeliveryMs: number;
  badSignatures: number;
}

const SECRET = 'bench-secret-of-at-least-thirty-two-chars';

/**
 * Webhook events per request under a chat storm: `ratePerS` chat messages a second over
 * `streams` streams appended to `log` for `seconds`, delivered by one endpoint's dispatcher
 * (reading `feed`) to a receiver on a loopback port that verifies every signature and answers
 * after `receiverLatencyMs`. The log and the feed decide which path is measured: the memory log,
 * or JetStream with a durable consumer.
 */
export async function measureStorm(
  o: StormOptions,
  log: EventLog,
  feed: (endpoint: WebhookEndpoint) => EventFeed,
): Promise<StormResult> {
  const sizes: { at: number; n: number }[] = [];
  const delays: number[] = [];
  let badSignatures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['roar-signature'] as string | undefined;
      if (!verifySignature(SECRET, header, body, Math.floor(Date.now() / 1000)).ok) badSignatures++;
      const { events } = JSON.parse(body) as { events: { ts: number }[] };
      const now = Date.now();
      sizes.push({ at: now, n: events.length });
      for (const e of events) delays.push(now - e.ts);
      setTimeout(() => res.writeHead(204).end(), o.receiverLatencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: WebhookEndpoint = {
    id: 'bench',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    secret: SECRET,
    events: ['chat.published'],
  };
  const dispatcher = new Dispatcher({
    endpoint,
    feed: feed(endpoint),
    options: o.dispatch,
    deadLetters: await DeadLetters.open(10, new MemoryDeadLetterJournal()),
    metrics: new WebhookMetrics(),
    log: silentLogger,
  });
  dispatcher.start();
  // Let the feed open (a new JetStream endpoint delivers what comes after its consumer exists).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const total = Math.round(o.ratePerS * o.seconds);
  const started = Date.now();
  let appended = 0;
  while (appended < total) {
    const due = Math.min(total, Math.round(((Date.now() - started) / 1000) * o.ratePerS));
    for (; appended < due; appended++) {
      const id = `m${appended}`;
      log.append(`s${appended % o.streams}`, {
        type: 'chat.published',
        id,
        ts: Date.now(),
        data: { id, user: { id: `u${appended % 997}`, name: 'fan' }, text: 'what a shot!' },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const stormEnd = Date.now();
  const deadline = Date.now() + 30_000;
  while (delays.length < total && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await dispatcher.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const during = sizes.filter((s, i) => i > 0 && s.at <= stormEnd).map((s) => s.n);
  delays.sort((a, b) => a - b);
  return {
    events: total,
    delivered: delays.length,
    requests: sizes.length,
    meanEventsPerRequest: delays.length / Math.max(1, sizes.length),
    stormEventsPerRequest: during.reduce((a, b) => a + b, 0) / Math.max(1, during.length),
    minStormEventsPerRequest: during.length ? Math.min(...during) : 0,
    p99DeliveryMs: delays[Math.floor(delays.length * 0.99)] ?? 0,
    badSignatures,
  };
}
