import { describe, expect, it } from 'vitest';
import { describeBusContract } from './bus-contract.js';
import { MemoryBroker } from './memory-bus.js';

describeBusContract('memory', async () => {
  const broker = new MemoryBroker();
  const a = broker.connect();
  const b = broker.connect();
  return {
    a,
    b,
    async restartBroker() {
      broker.disconnect(a);
      broker.disconnect(b);
      // The scenario, not a settle: the broker stays down for a moment before it comes back.
      await new Promise((r) => setTimeout(r, 10));
      broker.reconnect(a);
      broker.reconnect(b);
    },
    async dispose() {
      await a.close();
      await b.close();
    },
  };
});

describe('MemoryBroker fault injection', () => {
  it('drops the messages failPublish selects', async () => {
    const broker = new MemoryBroker();
    const bus = broker.connect();
    const got: string[] = [];
    bus.subscribe('x.*', (_p, s) => got.push(s));
    broker.failPublish = (subject) => subject === 'x.drop';
    bus.publish('x.drop', new Uint8Array());
    bus.publish('x.keep', new Uint8Array());
    await bus.flush();
    expect(got).toEqual(['x.keep']);
  });
});

describe('MemoryBroker delivery', () => {
  it('delivers what one turn published in order, and keeps each subject current as subscriptions change', async () => {
    const broker = new MemoryBroker();
    const bus = broker.connect();
    const got: string[] = [];
    const first = bus.subscribe('s.a.*', (p, s) => got.push(`1:${s}:${p[0]}`));
    for (let i = 0; i < 3; i++) bus.publish('s.a.chat', Uint8Array.of(i));
    // Published, not yet delivered: a subscription made now does not get those three.
    const second = bus.subscribe('s.a.chat', (p, s) => got.push(`2:${s}:${p[0]}`));
    await bus.flush();
    expect(got).toEqual(['1:s.a.chat:0', '1:s.a.chat:1', '1:s.a.chat:2']);
    got.length = 0;
    // The subject matched once already: the new subscription must be among its matches now.
    bus.publish('s.a.chat', Uint8Array.of(3));
    await bus.flush();
    expect(got.sort()).toEqual(['1:s.a.chat:3', '2:s.a.chat:3']);
    got.length = 0;
    first.unsubscribe();
    bus.publish('s.a.chat', Uint8Array.of(4));
    // Unsubscribed between a publish and its delivery: not delivered.
    second.unsubscribe();
    bus.publish('s.a.chat', Uint8Array.of(5));
    await bus.flush();
    expect(got).toEqual([]);
  });

  it('delivers a message published while delivering after the ones already on their way', async () => {
    const broker = new MemoryBroker();
    const bus = broker.connect();
    const got: string[] = [];
    bus.subscribe('x.*', (_p, s) => {
      got.push(s);
      if (s === 'x.a') bus.publish('x.c', new Uint8Array());
    });
    bus.publish('x.a', new Uint8Array());
    bus.publish('x.b', new Uint8Array());
    await bus.flush();
    expect(got).toEqual(['x.a', 'x.b', 'x.c']);
  });
});
