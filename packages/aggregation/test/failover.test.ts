import { MemoryBroker, Subjects } from '@roar/bus';
import { unpack, type ViewersEvent } from '@roar/protocol';
import { createMemoryStore, type Leases, type Store } from '@roar/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Aggregator, PartitionLeaser } from '../src/index.js';
import { FakeGateway } from './harness.js';

const PARTITIONS = 4;
const STREAMS = Array.from({ length: 8 }, (_, i) => `s${i}`);
/** Gateway g holds 10 × (g + 1) + i viewers of stream i; three gateways sum to 60 + 3i. */
const expected = (stream: string): number => 60 + 3 * Number(stream.slice(1));

interface Published {
  by: string;
  stream: string;
  event: ViewersEvent;
}

interface Instance {
  name: string;
  agg: Aggregator;
  leaser: PartitionLeaser;
}

function cluster() {
  const broker = new MemoryBroker();
  const store = createMemoryStore({ historyCapacity: 10 });
  const subjects = new Subjects('failover');
  const published: Published[] = [];
  const gateways = [0, 1, 2].map(
    (g) => new FakeGateway(`gw-${g}`, broker.connect(), subjects, PARTITIONS),
  );
  const timers = gateways.map((gw, g) =>
    setInterval(() => {
      gw.reportAll(Object.fromEntries(STREAMS.map((s, i) => [s, 10 * (g + 1) + i])));
    }, 1000),
  );
  const instance = (name: string, leases: Leases = store.leases): Instance => {
    const bus = broker.connect();
    const publish = bus.publish.bind(bus);
    bus.publish = (subject, payload) => {
      const parsed = subjects.parseStream(subject);
      if (parsed?.kind === 'viewers') {
        published.push({ by: name, stream: parsed.stream, event: unpack(payload) as ViewersEvent });
      }
      publish(subject, payload);
    };
    const agg = new Aggregator({ bus, store, subjects, partitions: PARTITIONS });
    const leaser = new PartitionLeaser({
      leases,
      owner: name,
      partitions: PARTITIONS,
      onAcquire: (p) => agg.own(p),
      onLose: (p) => agg.disown(p),
    });
    agg.start();
    leaser.start();
    return { name, agg, leaser };
  };
  const stopGateways = (): void => timers.forEach((t) => clearInterval(t));
  return { store, published, instance, stopGateways };
}

/** Advances fake time in small steps, checking that no partition ever has two owners. */
async function run(ms: number, instances: Instance[]): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    await vi.advanceTimersByTimeAsync(50);
    const owners = instances.flatMap((i) => i.agg.partitions);
    expect(new Set(owners).size, 'a partition owned twice').toBe(owners.length);
  }
}

function expectExact(published: Published[]): void {
  for (const { stream, event } of published) expect(event.total, stream).toBe(expected(stream));
}

describe('two aggregators behind partition leases', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('has one publisher per partition, never doubles, and fails over on stop', async () => {
    const { published, instance, stopGateways } = cluster();
    const a = instance('a');
    await vi.advanceTimersByTimeAsync(0);
    const b = instance('b');
    await run(5000, [a, b]);
    expect(a.agg.partitions).toEqual([0, 1, 2, 3]);
    expect(b.agg.partitions).toEqual([]);
    expect(new Set(published.map((p) => p.by))).toEqual(new Set(['a']));
    expect(published.map((p) => p.stream).sort()).toEqual(STREAMS);
    expectExact(published);

    await a.leaser.stop();
    a.agg.stop();
    const stoppedAt = Date.now();
    while (b.agg.partitions.length < PARTITIONS) await run(50, [a, b]);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(1000);
    published.length = 0;
    await run(4000, [a, b]);
    expect(new Set(published.map((p) => p.by))).toEqual(new Set(['b']));
    expect(published.map((p) => p.stream).sort()).toEqual(STREAMS);
    expectExact(published);
    expect(b.agg.snapshot('s7')).toEqual({
      total: 81,
      uniques: 0,
      // No total has yet held through a clean peak window since b's warm-up (peak-window.ts).
      peak: 0,
      gateways: 3,
      chatPerS: 0,
      reactionsPerS: 0,
    });

    stopGateways();
    await b.leaser.stop();
    b.agg.stop();
  });

  it('takes over from an instance whose store calls hang, without two owners at any time', async () => {
    const { store, published, instance, stopGateways } = cluster();
    let hang = false;
    const flaky: Store['leases'] = {
      acquire: (...args) => (hang ? new Promise(() => undefined) : store.leases.acquire(...args)),
      release: (...args) => store.leases.release(...args),
      holder: (...args) => store.leases.holder(...args),
    };
    const a = instance('a', flaky);
    await vi.advanceTimersByTimeAsync(0);
    const b = instance('b');
    await run(4000, [a, b]);
    expect(a.agg.partitions).toEqual([0, 1, 2, 3]);
    hang = true;
    const hungAt = Date.now();
    while (b.agg.partitions.length < PARTITIONS) await run(50, [a, b]);
    // The lease runs out 3000 ms after a's last renewal, which was at most 1000 ms before.
    expect(Date.now() - hungAt).toBeLessThanOrEqual(3000 + 50);
    expect(a.agg.partitions).toEqual([]);
    published.length = 0;
    await run(4000, [a, b]);
    expect(new Set(published.map((p) => p.by))).toEqual(new Set(['b']));
    expectExact(published);
    stopGateways();
    b.agg.stop();
    a.agg.stop();
  });
});
