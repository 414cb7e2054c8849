import { ErrorCode, type ChatEvent } from '@roar/protocol';
import { ManagedProcess, TestClient, waitFor } from '@roar/testkit';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';

const SLOW_READER = fileURLToPath(new URL('./fixtures/slow-reader.py', import.meta.url));

/** A refused upgrade's body: the error and the admission ticket. */
interface Refusal {
  error: { code: string };
  ticket?: string;
  position?: number;
  retryAfterMs?: number;
}

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern.source, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

/** Chat to one stream at `perSecond` from `senders` for `ms`; returns the texts acked. */
async function chatFor(
  senders: TestClient[],
  stream: string,
  perSecond: number,
  ms: number,
  text = (i: number) => `m${i}`,
): Promise<void> {
  const every = 1000 / perSecond;
  const until = Date.now() + ms;
  let i = 0;
  while (Date.now() < until) {
    const sender = senders[i % senders.length] as TestClient;
    sender.send({ type: 'chat', ref: i + 1, stream, text: text(i) });
    i++;
    // Pacing: the chat rate is the scenario.
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('chat sampling', () => {
  it('caps each viewer at the budget; priority chat and a sender’s own messages always arrive', async () => {
    await using server = await startServer({
      ROAR_CHAT_BUDGET: '10',
      ROAR_CHAT_RATE: '100',
      ROAR_CHAT_BURST: '100',
      ROAR_FRAME_RATE: '200',
    });
    const senders = await Promise.all(
      [1, 2, 3, 4].map((i) => server.viewer('hot', { user: `fan${i}` })),
    );
    const mod = await server.viewer('hot', { user: 'mod', roles: ['moderator:hot'] });
    const watcher = await server.viewer('hot', { user: 'watcher' });
    const started = Date.now();
    await Promise.all([
      chatFor(senders, 'hot', 80, 3000),
      (async () => {
        for (let i = 0; i < 6; i++) {
          await mod.request({ type: 'chat', stream: 'hot', text: `mod ${i}` });
          // Pacing: the moderator's messages are spread over the storm.
          await new Promise((r) => setTimeout(r, 400));
        }
      })(),
    ]);
    const seconds = (Date.now() - started) / 1000;
    // Lets the storm's last frames arrive before the upper bounds are checked. No marker can say
    // they have: sampled frames go out on their own cadence, while priority and own messages,
    // the only ones sure to arrive, skip it.
    await new Promise((r) => setTimeout(r, 300));
    const got = watcher.eventsOf('hot', 'chat');
    const ordinary = got.filter((e) => !e.text.startsWith('mod'));
    expect(ordinary.length).toBeLessThanOrEqual(Math.ceil(10 * seconds) + 10 + 2);
    expect(ordinary.length).toBeGreaterThan(10);
    expect(got.filter((e) => e.text.startsWith('mod')).map((e) => e.text)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `mod ${i}`),
    );
    const sampledFrames = watcher.messages.filter(
      (m) => m.type === 'batch' && m.sampled !== undefined,
    );
    expect(sampledFrames.length).toBeGreaterThan(0);
    // In the storm, frames go out every 500 ms (plus the moderator's six, which do not wait).
    expect(sampledFrames.length).toBeLessThanOrEqual(Math.ceil(seconds * 2) + 6 + 2);
    // Every sender saw every message it sent that was acked, sampled or not.
    for (const sender of senders) {
      const acked = sender.messages.flatMap((m) => (m.type === 'ack' && m.id ? [m.id] : []));
      expect(acked.length).toBeGreaterThan(0);
      await sender.waitForMessage(
        () => {
          const seen = new Set(sender.eventsOf('hot', 'chat').map((e: ChatEvent) => e.id));
          return acked.every((id) => seen.has(id));
        },
        3000,
        'own messages',
      );
    }
    expect(await metric(server, /^roar_chat_sampled_out_total\{[^}]*\} (\d+)/)).toBeGreaterThan(0);
  });
});

const SLOW_ENV = {
  ROAR_CHAT_BUDGET: '1000',
  ROAR_CHAT_RATE: '1000',
  ROAR_CHAT_BURST: '1000',
  ROAR_FRAME_RATE: '2000',
  ROAR_FRAME_BURST: '2000',
  ROAR_SOFT_BACKPRESSURE_BYTES: '16384',
  ROAR_MAX_BACKPRESSURE_BYTES: '4194304',
  ROAR_SLOW_CLIENT_MAX_MS: '1500',
};

/** Sent after the light stream's chat to learn that it has all arrived; not one of its samples. */
const MARKER = 'marker';

/** Delivery latency (arrival − server time of the message) of every chat event `c` got. */
function latencies(c: TestClient, stream: string): number[] {
  const out: number[] = [];
  c.messages.forEach((m, i) => {
    if (m.type !== 'batch' || m.stream !== stream) return;
    for (const e of m.events) {
      if (e.type === 'chat' && e.text !== MARKER) out.push((c.arrivals[i] ?? 0) - e.ts);
    }
  });
  return out;
}

describe('slow clients', () => {
  /**
   * Latency of ten viewers of a light stream while a heavy stream floods one more client: p95
   * (judged) and p99 (logged).
   */
  async function lightLatency(
    withSlowReader: boolean,
  ): Promise<{ p95: number; p99: number; closed: number; skipped: number }> {
    await using server = await startServer(SLOW_ENV);
    const watchers = await Promise.all(Array.from({ length: 10 }, () => server.viewer('light')));
    const lightSender = await server.viewer('light', { user: 'light-sender' });
    // Loopback TCP buffers absorb about 3 MB before uWS holds anything, so the flood is big:
    // two streams of 490-emoji messages (2 KB each) at 400/s.
    const heavy = ['heavy1', 'heavy2'];
    const heavySenders = await Promise.all(
      heavy.map((stream, i) => server.viewer(stream, { user: `heavy-${i}` })),
    );
    let reader: ManagedProcess | undefined;
    if (withSlowReader) {
      reader = new ManagedProcess('python3', [SLOW_READER, String(server.port), ...heavy, 'light']);
      await reader.waitForOutput(/joined/);
    } else {
      const fast = await server.viewer('light');
      for (const stream of heavy) await fast.request({ type: 'join', stream });
    }
    try {
      const big = '🔥'.repeat(490);
      await Promise.all([
        ...heavySenders.map((sender, i) =>
          chatFor([sender], heavy[i] as string, 400, 5000, (n) => `${big} ${n}`),
        ),
        chatFor([lightSender], 'light', 20, 5000),
      ]);
      // A marker rather than a settle: the light stream is never sampled and a sender's messages
      // keep their order, so once every watcher has the marker it has every earlier message.
      // (The ref is the test's own: chatFor's refs count from 1.)
      const marker = await lightSender.request({
        type: 'chat',
        ref: 1_000_000,
        stream: 'light',
        text: MARKER,
      });
      const markerId = marker.type === 'ack' ? marker.id : undefined;
      expect(markerId, JSON.stringify(marker)).toBeDefined();
      for (const w of watchers) {
        await w.waitForMessage(
          () => w.eventsOf('light', 'chat').some((e) => e.id === markerId),
          10_000,
          'the marker on every light watcher',
        );
      }
      const all = watchers.flatMap((w) => latencies(w, 'light'));
      return {
        p95: percentile(all, 0.95),
        p99: percentile(all, 0.99),
        closed: await metric(server, /^roar_server_closes_total\{[^}]*code="4001"[^}]*\} (\d+)/),
        skipped: await metric(server, /^roar_skipped_frames_total\{[^}]*class="chat"[^}]*\} (\d+)/),
      };
    } finally {
      await reader?.stop('SIGKILL');
    }
  }

  it('skips, then closes with 4001, a client that stops reading, without slowing the others', async () => {
    const baseline = await lightLatency(false);
    const withSlow = await lightLatency(true);
    expect(baseline.closed).toBe(0);
    expect(withSlow.skipped).toBeGreaterThan(0);
    expect(withSlow.closed).toBe(1);
    console.log(
      `light-stream p95/p99: ${baseline.p95}/${baseline.p99} ms without, ` +
        `${withSlow.p95}/${withSlow.p99} ms with a stalled reader`,
    );
    // 2x the baseline, with a floor of one tick (50 ms) of scheduling noise on a shared two-core
    // machine. Judged at p95 of the 1,000 samples (100 messages, 10 watchers): a reader that held
    // the others back would do so for the 1.5 s before its close, a third of the window, while one
    // scheduling hiccup of this machine (seen: 34 ms in a baseline, 40 ms beside the reader) is
    // one message to all ten watchers, 1% of the samples, and moved p99 alone.
    expect(withSlow.p95).toBeLessThanOrEqual(Math.max(2 * baseline.p95, baseline.p95 + 50));
  }, 30_000);
});

/** A raw WebSocket upgrade request: the status and Retry-After of a refusal are visible. */
/** One upgrade request; the socket is closed at once, or kept in `hold` when one is given. */
function upgrade(
  port: number,
  headers: Record<string, string> = {},
  hold?: Duplex[],
): Promise<{ status: number; retryAfter: string | undefined; body?: Refusal | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      if (hold) hold.push(socket);
      else socket.destroy();
      resolve({ status: res.statusCode ?? 0, retryAfter: undefined });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text.startsWith('{') ? (JSON.parse(text) as Refusal) : undefined;
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admission control', () => {
  it('refuses a connection storm beyond the rate with 503 and a paced ticket each, staying responsive', async () => {
    await using server = await startServer({
      ROAR_ADMISSION_RATE: '20',
      ROAR_ADMISSION_BURST: '20',
      ROAR_RETRY_AFTER_S: '2',
    });
    const storm = await Promise.all(Array.from({ length: 200 }, () => upgrade(server.port)));
    const accepted = storm.filter((r) => r.status === 101).length;
    const refused = storm.filter((r) => r.status === 503);
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(accepted).toBeLessThan(40);
    expect(refused.length).toBe(200 - accepted);
    // Each refused client holds a ticket with a come-back time of its own, paced at the
    // admission rate (50 ms apart), its position and Retry-After saying the same.
    const comeBack = refused.map((r) => {
      const [body = ''] = (r.body?.ticket ?? '').split('.');
      return Number(Buffer.from(body, 'base64url').toString('utf8').split('.')[3]);
    });
    const sorted = [...comeBack].sort((a, b) => a - b);
    expect(sorted.slice(1).map((t, i) => t - (sorted[i] ?? 0))).toEqual(
      sorted.slice(1).map(() => 50),
    );
    for (const r of refused) {
      const { position = 0, retryAfterMs = -1 } = r.body ?? {};
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThanOrEqual(refused.length);
      expect(Math.abs(retryAfterMs - position * 50)).toBeLessThanOrEqual(50);
      expect(Number(r.retryAfter)).toBe(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
    const started = performance.now();
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(200);
    // The first refused for the rate; the rest queued behind the tickets already out.
    const rate = await metric(
      server,
      /^roar_admission_refused_total\{[^}]*reason="rate"[^}]*\} (\d+)/,
    );
    const queue = await metric(
      server,
      /^roar_admission_refused_total\{[^}]*reason="queue"[^}]*\} (\d+)/,
    );
    expect(rate).toBeGreaterThanOrEqual(1);
    expect(rate + queue).toBe(refused.length);
  });

  it('caps connections per gateway and per IP', async () => {
    await using server = await startServer({
      ROAR_MAX_CONNECTIONS: '5',
      ROAR_MAX_CONNECTIONS_PER_IP: '3',
    });
    const clients = await Promise.all([1, 2, 3].map(() => server.connect()));
    expect((await upgrade(server.port)).status).toBe(503);
    expect(
      await metric(server, /^roar_admission_refused_total\{[^}]*reason="max_per_ip"[^}]*\} (\d+)/),
    ).toBe(1);
    await clients[0]?.close();
    await waitFor(async () => (await upgrade(server.port)).status === 101, {
      message: 'a slot freed',
    });
  });

  it('behind a trusted proxy, caps per client address from X-Forwarded-For; otherwise ignores it', async () => {
    const held: Duplex[] = [];
    const via = (server: TestServer, forwardedFor: string) =>
      upgrade(server.port, { 'x-forwarded-for': forwardedFor }, held);
    try {
      await using proxied = await startServer({
        ROAR_MAX_CONNECTIONS_PER_IP: '2',
        ROAR_TRUSTED_PROXIES: '127.0.0.0/8,::1',
      });
      expect((await via(proxied, '198.51.100.1')).status).toBe(101);
      // The client wrote an entry of its own; the proxy appended the address it saw.
      expect((await via(proxied, '203.0.113.9, 198.51.100.1')).status).toBe(101);
      expect((await via(proxied, '198.51.100.1')).status).toBe(503);
      expect((await via(proxied, '198.51.100.2')).status).toBe(101);
      expect((await via(proxied, '198.51.100.3, 127.0.0.9')).status).toBe(101);

      // No trusted proxy: the header is the client's word and counts for nothing.
      await using direct = await startServer({ ROAR_MAX_CONNECTIONS_PER_IP: '2' });
      expect((await via(direct, '198.51.100.1')).status).toBe(101);
      expect((await via(direct, '198.51.100.2')).status).toBe(101);
      expect((await via(direct, '198.51.100.3')).status).toBe(503);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

describe('degradation ladder', () => {
  it('steps up under event-loop pressure and back down after it, one level at a time', async () => {
    await using server = await startServer({
      ROAR_LADDER_LOOP_DELAY_MS: '60',
      ROAR_LADDER_UP_MS: '400',
      ROAR_LADDER_DOWN_MS: '1200',
    });
    const viewer = await server.viewer('lad');
    const busy = setInterval(() => {
      const until = performance.now() + 120;
      while (performance.now() < until) {
        // Synthetic pressure: block the event loop as an overloaded gateway would.
      }
    }, 150);
    try {
      await viewer.waitForMessage(
        (m) => m.type === 'status' && m.level >= 3,
        10_000,
        'level 3 under pressure',
      );
    } finally {
      clearInterval(busy);
    }
    await viewer.waitForMessage(
      (m) => m.type === 'status' && m.level === 0,
      20_000,
      'back to level 0',
    );
    const levels = viewer.messages.flatMap((m) => (m.type === 'status' ? [m.level] : []));
    const peak = levels.indexOf(Math.max(...levels));
    // Up one step at a time to the peak, then down one step at a time: no flapping.
    levels.forEach((level, i) => {
      if (i === 0) return expect(level).toBe(1);
      expect(Math.abs(level - (levels[i - 1] ?? 0))).toBe(1);
      if (i <= peak) expect(level).toBeGreaterThan(levels[i - 1] ?? 0);
      else expect(level).toBeLessThan(levels[i - 1] ?? 0);
    });
  }, 40_000);

  it('at level 4 keeps chat for moderators only; at level 5 admits no one', async () => {
    await using server = await startServer({ ROAR_LEVEL: '4' });
    const viewer = await server.viewer('ro', { user: 'fan' });
    const mod = await server.viewer('ro', { user: 'mod', roles: ['moderator:ro'] });
    expect(viewer.messages.find((m) => m.type === 'status')).toMatchObject({
      level: 4,
      text: 'chat is read-only',
    });
    expect(await viewer.request({ type: 'chat', stream: 'ro', text: 'hi' })).toMatchObject({
      code: ErrorCode.ReadOnly,
    });
    expect(await mod.request({ type: 'chat', stream: 'ro', text: 'calm down' })).toMatchObject({
      type: 'ack',
    });
    server.embedded.gateway.load.ladder.pin(5);
    await viewer.waitForMessage((m) => m.type === 'status' && m.level === 5, 3000, 'level 5');
    expect((await upgrade(server.port)).status).toBe(503);
    expect(await metric(server, /^roar_degradation_level\{[^}]*\} (\d+)/)).toBe(5);
  });
});

describe('graceful drain', () => {
  it('closes everyone with 4000 and a reconnect hint, spread over the drain window', async () => {
    const server = await startServer({ ROAR_DRAIN_WINDOW_MS: '2000' });
    const clients = await Promise.all(Array.from({ length: 60 }, () => server.viewer('d')));
    const closedAt: number[] = [];
    for (const c of clients) void c.closed.then(() => closedAt.push(Date.now()));
    const started = Date.now();
    await server.embedded.stop();
    await waitFor(() => closedAt.length === 60, { message: 'all closed' });
    for (const c of clients) {
      expect(c.closeInfo?.code).toBe(4000);
      expect(c.messages.at(-1)).toMatchObject({ type: 'reconnect', reason: 'draining' });
    }
    const offsets = closedAt.map((t) => t - started).sort((a, b) => a - b);
    expect((offsets.at(-1) ?? 0) - (offsets[0] ?? 0)).toBeGreaterThan(1500);
    // No 200 ms slice of the window takes more than a fifth of the audience.
    for (let t = 0; t < 2200; t += 200) {
      expect(offsets.filter((o) => o >= t && o < t + 200).length).toBeLessThanOrEqual(12);
    }
  });
});
