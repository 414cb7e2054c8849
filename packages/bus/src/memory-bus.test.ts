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
