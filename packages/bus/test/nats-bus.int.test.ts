import { createServer } from 'node:net';
import { NatsServer, waitFor } from '@roar/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BusStatus } from '../src/bus.js';
import { describeBusContract } from '../src/bus-contract.js';
import { connectNatsBus, type NatsBus } from '../src/nats-bus.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

// Reconnects take one reconnect pause (250–500 ms) once the server is back; leave room for a
// loaded CI machine without hiding a client that never comes back.
const reconnectTimeout = { timeoutMs: 10_000 };

let server: NatsServer;
let n = 0;
const nextPrefix = (): string => `n${Date.now().toString(36)}${(n++).toString(36)}`;

beforeAll(async () => {
  server = await NatsServer.start();
});
afterAll(async () => {
  await server[Symbol.asyncDispose]();
});
afterEach(async () => {
  // A test that failed while the server was down must not take the rest of the file with it.
  if (!server.running) await server.start();
});

async function restartBroker(): Promise<void> {
  await server.stop();
  await server.start();
}

describeBusContract('nats', async () => {
  const a = await connectNatsBus({ servers: server.url, name: 'contract-a' });
  const b = await connectNatsBus({ servers: server.url, name: 'contract-b' });
  return {
    a,
    b,
    restartBroker,
    async dispose() {
      await Promise.all([a.close(), b.close()]);
    },
  };
});

describe('NatsBus', () => {
  const buses: NatsBus[] = [];
  const open = async (name: string): Promise<NatsBus> => {
    const bus = await connectNatsBus({ servers: server.url, name });
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    if (!server.running) await server.start();
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  it('keeps delivering when onError itself throws', async () => {
    // Unguarded, the throw would end nats.js's read loop and stall the connection for ~15 s.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const bus = await open('broken-on-error');
      bus.onError = () => {
        throw new Error('onError bug');
      };
      const prefix = nextPrefix();
      const got: string[] = [];
      bus.subscribe(`${prefix}.t`, (p) => {
        got.push(text(p));
        if (got.length === 1) throw new Error('handler bug');
      });
      await bus.flush();
      bus.publish(`${prefix}.t`, bytes('1'));
      bus.publish(`${prefix}.t`, bytes('2'));
      await waitFor(() => got.length === 2, { message: 'delivery after the double failure' });
      await bus.flush();
      expect(bus.connected).toBe(true);
      expect(logged).toHaveBeenCalledTimes(1);
    } finally {
      logged.mockRestore();
    }
  });

  it('activates a subscription made while NATS is down once NATS is back', async () => {
    const a = await open('a');
    const b = await open('b');
    const prefix = nextPrefix();
    await server.stop();
    await waitFor(() => !a.connected && !b.connected, { message: 'disconnect noticed' });
    const got: string[] = [];
    b.subscribe(`${prefix}.late`, (p) => got.push(text(p)));
    await server.start();
    await waitFor(() => a.connected && b.connected, {
      ...reconnectTimeout,
      message: 'reconnected',
    });
    // b's subscriptions are sent before the flush's PING, so the server knows them by now.
    await b.flush();
    a.publish(`${prefix}.late`, bytes('hello'));
    await waitFor(() => got.length === 1, { message: 'delivery to the late subscription' });
    expect(got).toEqual(['hello']);
  });

  it('keeps an unsubscribe made while NATS is down after NATS is back', async () => {
    const a = await open('a');
    const b = await open('b');
    const prefix = nextPrefix();
    const got: string[] = [];
    const sub = b.subscribe(`${prefix}.gone`, (p) => got.push(text(p)));
    let marker = false;
    b.subscribe(`${prefix}.marker`, () => (marker = true));
    await b.flush();
    await server.stop();
    await waitFor(() => !b.connected, { message: 'disconnect noticed' });
    sub.unsubscribe();
    await server.start();
    await waitFor(() => a.connected && b.connected, {
      ...reconnectTimeout,
      message: 'reconnected',
    });
    await b.flush();
    a.publish(`${prefix}.gone`, bytes('x'));
    // Same publisher, so the marker arrives after the message would have.
    a.publish(`${prefix}.marker`, bytes('m'));
    await waitFor(() => marker, { message: 'marker delivered' });
    expect(got).toEqual([]);
  });

  it('drops publishes made while disconnected instead of replaying them', async () => {
    const a = await open('a');
    const b = await open('b');
    const prefix = nextPrefix();
    const got: string[] = [];
    b.subscribe(`${prefix}.d`, (p) => got.push(text(p)));
    await b.flush();
    await server.stop();
    await waitFor(() => !a.connected, { message: 'disconnect noticed' });
    a.publish(`${prefix}.d`, bytes('lost'));
    await server.start();
    await waitFor(() => a.connected && b.connected, {
      ...reconnectTimeout,
      message: 'reconnected',
    });
    await b.flush();
    a.publish(`${prefix}.d`, bytes('after'));
    await waitFor(() => got.includes('after'), { message: 'delivery after reconnect' });
    expect(got).toEqual(['after']);
  });

  it('keeps retrying the first connect until NATS is up', async () => {
    await server.stop();
    let settled = false;
    const pending = connectNatsBus({ servers: server.url, name: 'early' }).then((bus) => {
      buses.push(bus);
      settled = true;
      return bus;
    });
    // Refused attempts leave nothing to wait on; a listener that accepts and hangs up at once
    // counts them instead, so the test needs no sleep.
    let attempts = 0;
    const hangUp = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      hangUp.once('error', reject);
      hangUp.listen(server.port, '127.0.0.1', resolve);
    });
    try {
      await waitFor(() => attempts >= 3, {
        ...reconnectTimeout,
        message: 'three connect attempts',
      });
      expect(settled).toBe(false);
    } finally {
      await new Promise<void>((resolve) => hangUp.close(() => resolve()));
    }
    await server.start();
    await waitFor(() => settled, { ...reconnectTimeout, message: 'first connect' });
    const bus = await pending;
    expect(bus.connected).toBe(true);
    const prefix = nextPrefix();
    const got: string[] = [];
    bus.subscribe(`${prefix}.self`, (p) => got.push(text(p)));
    await bus.flush();
    bus.publish(`${prefix}.self`, bytes('up'));
    await waitFor(() => got.length === 1, { message: 'round trip after the late connect' });
  });

  it('reports a restart as disconnected then reconnected, and closed once', async () => {
    const bus = await open('status');
    const seen: BusStatus[] = [];
    bus.onStatus((s) => seen.push(s));
    await server.stop();
    await waitFor(() => !bus.connected, { message: 'disconnect noticed' });
    await server.start();
    await waitFor(() => bus.connected, { ...reconnectTimeout, message: 'reconnected' });
    await bus.close();
    await bus.close();
    expect(seen.map((s) => s.type)).toEqual(['disconnected', 'reconnected', 'closed']);
    expect(seen[0]).toEqual({
      type: 'disconnected',
      reason: expect.stringContaining(String(server.port)),
    });
  });

  it('fails a flush and closes promptly while NATS is down', async () => {
    const bus = await open('down');
    const seen: BusStatus['type'][] = [];
    bus.onStatus((s) => seen.push(s.type));
    await server.stop();
    await waitFor(() => !bus.connected, { message: 'disconnect noticed' });
    // nats.js rejects pending flushes at its next reconnect attempt, a reconnect pause away.
    await expect(bus.flush()).rejects.toThrow(/connection lost before the flush/);
    await bus.close();
    expect(seen).toEqual(['disconnected', 'closed']);
    expect(bus.connected).toBe(false);
  });
});
