import type { Bus, BusStatusListener } from '@roar/bus';
import { Subjects } from '@roar/bus';
import { EncodedEvent, type StateEvent } from '@roar/protocol';
import { silentLogger } from '@roar/runtime';
import { createMemoryStore, type LiveStateStore, type Store } from '@roar/store';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { GatewayMetrics } from '../../base/metrics.js';
import { defaultSettings } from '../../moderation/rules/settings.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';
import { StreamState } from '../../streams/stream-state.js';
import type { Session } from '../../transport/socket.js';
import { Widgets } from './widgets.js';

/** The feature over a memory store whose reads fail while `down`, and a bus whose status a test sets. */
function setup() {
  const memory = createMemoryStore({ historyCapacity: 10 });
  const io = { down: false, pending: 0 };
  const liveState: LiveStateStore = {
    write: (stream, w) => memory.liveState.write(stream, w),
    read: (stream) =>
      io.down ? Promise.reject(new Error('redis is down')) : memory.liveState.read(stream),
  };
  const store = { ...memory, liveState } as Store;
  let status: BusStatusListener = () => {};
  const bus = {
    publish: () => undefined,
    onStatus: (listener: BusStatusListener) => ((status = listener), () => {}),
  } as unknown as Bus;
  const state = new StreamState('match', 0, 10, defaultSettings(['🔥']));
  const registry = {
    values: () => [state][Symbol.iterator](),
    get: (id: string) => (id === state.id ? state : undefined),
  } as unknown as StreamRegistry;
  const widgets = new Widgets({
    store,
    bus,
    subjects: new Subjects('t'),
    registry,
    fanout: { markDirty: () => void io.pending++ },
    metrics: { registry: new Registry() } as GatewayMetrics,
    log: silentLogger,
    now: () => 1_700_000_000_000,
  });
  const service = widgets.state;
  const joiner = (since?: number) =>
    widgets.joined(state, {} as Session, {
      type: 'join',
      stream: 'match',
      ...(since !== undefined ? { stateVersion: since } : {}),
    })?.[0]?.event as StateEvent | undefined;
  const set = (key: string, value: unknown) =>
    memory.liveState.write('match', {
      key,
      json: JSON.stringify(value),
      ts: 1_700_000_000_000,
      maxKeys: 32,
    });
  return {
    widgets,
    state,
    io,
    joiner,
    set,
    service,
    reconnect: () => status({ type: 'reconnected' } as never),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Widgets', () => {
  it('joins without a snapshot while the store is down, and loads it on the next sweep', async () => {
    const t = setup();
    await t.set('score', '1/0');
    t.io.down = true;
    await t.widgets.open(t.state);
    expect(t.joiner()).toBeUndefined();
    expect(await t.service.metrics.loadFailures.get()).toMatchObject({ values: [{ value: 1 }] });
    t.io.down = false;
    t.widgets.sweep();
    await settle();
    expect(t.joiner()).toMatchObject({ snapshot: true, changes: { score: { value: '1/0' } } });
  });

  it('reads the state again when the bus is back, and pushes what it missed', async () => {
    const t = setup();
    await t.set('score', '1/0');
    await t.widgets.open(t.state);
    // Written while this gateway's bus was down: it never heard the publish.
    const missed = await t.set('score', '5/0');
    t.reconnect();
    await settle();
    expect(t.io.pending).toBe(1);
    const batch = t.state.takeBatch(Date.now(), {});
    expect(batch.map((e) => e.event)).toEqual([
      {
        type: 'state',
        version: (missed as { version: number }).version,
        changes: {
          score: {
            version: (missed as { version: number }).version,
            ts: 1_700_000_000_000,
            value: '5/0',
          },
        },
      },
    ]);
  });

  it('conflates changes heard within a tick into one event, newest per key', async () => {
    const t = setup();
    await t.widgets.open(t.state);
    for (let v = 1; v <= 50; v++) {
      const event: StateEvent = {
        type: 'state',
        version: v,
        changes: { p: { version: v, ts: 1, value: v } },
      };
      expect(t.widgets.receive(t.state, EncodedEvent.of(event))).toBe(true);
    }
    expect(t.widgets.receive(t.state, EncodedEvent.of({ type: 'clear' }))).toBe(false);
    const batch = t.state.takeBatch(Date.now(), {});
    expect(batch).toHaveLength(1);
    expect((batch[0]?.event as StateEvent).changes).toEqual({
      p: { version: 50, ts: 1, value: 50 },
    });
  });
});
