import { MessageChannel } from 'node:worker_threads';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { describeBusContract } from './bus-contract.js';
import { MemoryBroker, type MemoryBus } from './memory-bus.js';
import { WorkerBusHost } from './worker-bus-host.js';
import { connectWorkerBus, type WorkerBus } from './worker-bus.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Two "workers" of one host over one memory connection; the ports are real MessagePorts. */
async function twoWorkers(
  broker: MemoryBroker,
): Promise<{ host: WorkerBusHost; shared: MemoryBus; a: WorkerBus; b: WorkerBus }> {
  const shared = broker.connect();
  const host = new WorkerBusHost(shared);
  const open = async (): Promise<WorkerBus> => {
    const { port1, port2 } = new MessageChannel();
    host.attach(port1);
    return connectWorkerBus(port2);
  };
  return { host, shared, a: await open(), b: await open() };
}

describeBusContract('worker (memory host)', async () => {
  const broker = new MemoryBroker();
  const { host, shared, a, b } = await twoWorkers(broker);
  return {
    a,
    b,
    async restartBroker() {
      // The host's connection is the only one the workers have.
      broker.disconnect(shared);
      // The scenario, not a settle: the broker stays down for a moment before it comes back.
      await new Promise((r) => setTimeout(r, 10));
      broker.reconnect(shared);
    },
    async dispose() {
      await a.close();
      await b.close();
      await host.close();
    },
  };
});

describe('WorkerBusHost', () => {
  it('subscribes once per pattern for all workers and lets go with the last', async () => {
    const broker = new MemoryBroker();
    const { host, a, b } = await twoWorkers(broker);
    const outside = broker.connect();
    const gotA: string[] = [];
    const gotB: string[] = [];
    const subA = a.subscribe('p.s.x.*', (_p, s) => gotA.push(s));
    const subA2 = a.subscribe('p.s.x.*', (_p, s) => gotA.push(`again ${s}`));
    const subB = b.subscribe('p.s.x.*', (_p, s) => gotB.push(s));
    await Promise.all([a.flush(), b.flush()]);
    expect(host.patterns).toBe(1);
    outside.publish('p.s.x.chat', bytes('1'));
    await waitFor(() => gotA.length === 2 && gotB.length === 1, { message: 'both workers' });
    // One message from the broker, handed to two workers.
    expect(host.stats).toMatchObject({ received: 1, delivered: 2 });
    expect(gotA).toEqual(['p.s.x.chat', 'again p.s.x.chat']);
    subA.unsubscribe();
    subA2.unsubscribe();
    await a.flush();
    expect(host.patterns).toBe(1);
    subB.unsubscribe();
    await b.flush();
    expect(host.patterns).toBe(0);
    await Promise.all([a.close(), b.close()]);
    await host.close();
  });

  it("drops a worker's interest when its port closes (the worker exited)", async () => {
    const broker = new MemoryBroker();
    const { host, a, b } = await twoWorkers(broker);
    a.subscribe('q.one', () => undefined);
    b.subscribe('q.two', () => undefined);
    await Promise.all([a.flush(), b.flush()]);
    expect(host.patterns).toBe(2);
    await a.close();
    await waitFor(() => host.patterns === 1, { message: "a's pattern released" });
    await b.close();
    await host.close();
  });

  it('gives every worker the same bytes without a copy per worker', async () => {
    const broker = new MemoryBroker();
    const { host, a, b } = await twoWorkers(broker);
    const seen: Uint8Array[] = [];
    a.subscribe('r.x', (p) => seen.push(p));
    b.subscribe('r.x', (p) => seen.push(p));
    await Promise.all([a.flush(), b.flush()]);
    broker.connect().publish('r.x', bytes('shared'));
    await waitFor(() => seen.length === 2, { message: 'both got it' });
    const [first, second] = seen as [Uint8Array, Uint8Array];
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    // In one thread the clone of a SharedArrayBuffer is another handle on the same memory.
    expect(new TextDecoder().decode(first)).toBe('shared');
    expect(first.byteOffset).toBe(second.byteOffset);
    await Promise.all([a.close(), b.close()]);
    await host.close();
  });

  it('tells workers when the shared connection closes', async () => {
    const broker = new MemoryBroker();
    const { host, a } = await twoWorkers(broker);
    const statuses: string[] = [];
    a.onStatus((s) => statuses.push(s.type));
    await host.close();
    await waitFor(() => statuses.includes('closed'), { message: 'closed reached the worker' });
    expect(a.connected).toBe(false);
    expect(() => a.publish('x', bytes('x'))).toThrow();
  });
});
