import { MemoryBroker, MemoryBus, Subjects } from '@roar/bus';
import { waitFor } from '@roar/testkit';
import type { SettingsPatch } from '@roar/protocol';
import { silentLogger } from '@roar/runtime';
import { createMemoryStore, type ScheduledEvent, type Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../moderation/rules/settings.js';
import { encodeControl } from '../moderation/control.js';
import { EventCalendar } from './calendar.js';

const T = 1_900_000_000_000;

const plan = (over: Partial<ScheduledEvent> = {}): ScheduledEvent => ({
  stream: 'final',
  warmAt: T - 1000,
  startAt: T,
  endAt: T + 5000,
  expectedViewers: 1000,
  policy: { slowModeS: 9 },
  gateways: [],
  by: 'key:ops',
  updatedAt: T - 10_000,
  ...over,
});

/** A gateway's calendar on a shared store, recording what it holds and the switches it made. */
function gateway(
  store: Store,
  id: string,
  clock: { now: number },
  failSwitches = 0,
  bus = new MemoryBus(),
) {
  const held = new Set<string>();
  const switches: SettingsPatch[] = [];
  let failures = failSwitches;
  const calendar = new EventCalendar({
    store,
    bus,
    subjects: new Subjects('t'),
    holder: { warm: (s) => held.add(s), cool: (s) => void held.delete(s) },
    settings: {
      updateSettings: async (_actor, _stream, patch) => {
        if (failures-- > 0) throw new Error('store down');
        switches.push(patch);
      },
    },
    defaults: defaultSettings(['👏']),
    gatewayId: id,
    log: silentLogger,
    now: () => clock.now,
    refreshMs: 60_000,
    retryMs: 1000,
  });
  return { calendar, held, switches };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('EventCalendar', () => {
  it('warms from warm-up to the end, only on named gateways', async () => {
    const clock = { now: T - 2000 };
    const store = createMemoryStore({ historyCapacity: 1, now: () => clock.now });
    await store.schedules.putSchedule(plan({ stream: 'named', gateways: ['gw-b'] }));
    await store.schedules.putSchedule(plan());
    const a = gateway(store, 'gw-a', clock);
    const b = gateway(store, 'gw-b', clock);
    for (const g of [a, b]) await g.calendar.reload();
    expect([...a.held, ...b.held]).toEqual([]);
    clock.now = T - 1000;
    for (const g of [a, b]) g.calendar.tick(clock.now);
    expect([...a.held]).toEqual(['final']);
    expect([...b.held].sort()).toEqual(['final', 'named']);
    clock.now = T + 5000;
    for (const g of [a, b]) g.calendar.tick(clock.now);
    expect([...a.held, ...b.held]).toEqual([]);
  });

  it('warms nothing until the schedule could be read (store down at start), then catches up', async () => {
    const clock = { now: T };
    const store = createMemoryStore({ historyCapacity: 1 });
    await store.schedules.putSchedule(plan());
    let down = true;
    const flaky: Store = {
      ...store,
      schedules: {
        ...store.schedules,
        listSchedules: () =>
          down ? Promise.reject(new Error('down')) : store.schedules.listSchedules(),
      },
    };
    const g = gateway(flaky, 'gw-a', clock);
    await g.calendar.reload();
    g.calendar.tick(clock.now);
    expect(g.calendar.loaded).toBe(false);
    expect([...g.held]).toEqual([]);
    down = false;
    await g.calendar.reload();
    expect(g.calendar.loaded).toBe(true);
    expect([...g.held]).toEqual(['final']);
  });

  it('switches the policy on at the start and off at the end once across gateways, retrying a failure', async () => {
    const clock = { now: T - 1 };
    const store = createMemoryStore({ historyCapacity: 1, now: () => clock.now });
    await store.schedules.putSchedule(plan({ policy: { slowModeS: 9, emoteOnly: true } }));
    // gw-a wins the first switch but cannot write it (the store is down at the start time).
    const a = gateway(store, 'gw-a', clock, 1);
    const b = gateway(store, 'gw-b', clock);
    for (const g of [a, b]) await g.calendar.reload();
    await settle();
    expect([...a.switches, ...b.switches]).toEqual([]);
    clock.now = T;
    a.calendar.tick(clock.now);
    await settle();
    expect(a.switches).toEqual([]);
    for (let i = 0; i < 3; i++) {
      for (const g of [b, a]) g.calendar.tick(clock.now);
      await settle();
    }
    expect([...a.switches, ...b.switches]).toEqual([{ slowModeS: 9, emoteOnly: true }]);
    clock.now = T + 5000;
    for (let i = 0; i < 3; i++) {
      for (const g of [a, b]) g.calendar.tick(clock.now);
      await settle();
    }
    // Off: the policy's fields back to the defaults, once (by whichever gateway took it).
    const all = [...a.switches, ...b.switches];
    expect(all).toHaveLength(2);
    expect(all).toContainEqual({ slowModeS: 9, emoteOnly: true });
    expect(all).toContainEqual({ slowModeS: 0, emoteOnly: false });
  });

  it('skips a switch more than an hour late (a gateway started long after the start)', async () => {
    const clock = { now: T + 2 * 3_600_000 };
    const store = createMemoryStore({ historyCapacity: 1, now: () => clock.now });
    await store.schedules.putSchedule(plan({ endAt: T + 4 * 3_600_000 }));
    const g = gateway(store, 'gw-a', clock);
    await g.calendar.reload();
    await settle();
    expect(g.switches).toEqual([]);
    expect([...g.held]).toEqual(['final']);
  });

  it('keeps news heard while a read was in flight (the read is done again)', async () => {
    const clock = { now: T };
    const store = createMemoryStore({ historyCapacity: 1 });
    let reads = 0;
    const ref: { g?: ReturnType<typeof gateway> } = {};
    const racing: Store = {
      ...store,
      schedules: {
        ...store.schedules,
        listSchedules: async () => {
          const list = await store.schedules.listSchedules();
          // The first read returns what was stored before a PUT whose news arrives meanwhile.
          if (reads++ === 0) {
            const event = plan({ stream: 'late' });
            await store.schedules.putSchedule(event);
            ref.g?.calendar.learn('late', event);
          }
          return list;
        },
      },
    };
    const g = gateway(racing, 'gw-a', clock);
    ref.g = g;
    await g.calendar.reload();
    expect(reads).toBe(2);
    expect(g.calendar.events().map((e) => e.stream)).toEqual(['late']);
    expect([...g.held]).toEqual(['late']);
  });

  it('writes its events back when a peer says the store lost its data (control reload)', async () => {
    const clock = { now: T };
    const broker = new MemoryBroker();
    const store = createMemoryStore({ historyCapacity: 1 });
    await store.schedules.putSchedule(plan());
    await store.schedules.putSchedule(plan({ stream: 'other' }));
    const g = gateway(store, 'gw-a', clock, 0, new MemoryBus(broker));
    g.calendar.start();
    try {
      await waitFor(() => g.held.size === 2, { timeoutMs: 2000, message: 'both warm' });
      // Redis restarts empty; a peer restores moderation and says reload.
      for (const e of await store.schedules.listSchedules())
        await store.schedules.removeSchedule(e.stream);
      new MemoryBus(broker).publish(new Subjects('t').control(), encodeControl({ kind: 'reload' }));
      await waitFor(async () => (await store.schedules.listSchedules()).length === 2, {
        timeoutMs: 2000,
        message: 'the schedule written back',
      });
      expect(await store.schedules.getSchedule('final')).toEqual(plan());
    } finally {
      g.calendar.stop();
    }
  });
});
