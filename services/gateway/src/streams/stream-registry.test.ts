import { MemoryBroker, Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent, type StreamEvent } from '@roar/protocol';
import { silentLogger } from '@roar/runtime';
import { createMemoryStore } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../base/metrics.js';
import { Chat, type ChatOptions } from '../features/chat/chat.js';
import { defaultSettings } from '../moderation/rules/settings.js';
import { FeatureRegistry } from '../features/registry.js';
import { RECOVERY_DELAY_MS, StreamRegistry } from './stream-registry.js';
import type { StreamState } from './stream-state.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function chat(seq: number): EncodedEvent<ChatEvent> {
  return EncodedEvent.of<ChatEvent>({
    type: 'chat',
    id: `A${seq}`,
    ts: 1000 + seq,
    user: { id: 'u', name: 'u' },
    text: `m${seq}`,
    origin: 'A',
    seq,
  });
}

/** A gateway's registry over the memory bus and store, and a publisher standing for gateway A. */
async function setup() {
  const broker = new MemoryBroker();
  const bus = broker.connect();
  const publisher = broker.connect();
  const store = createMemoryStore({ historyCapacity: 100 });
  const subjects = new Subjects('t');
  let clock = 10_000;
  const chatOnly = { config: { chatRatePerS: 1, chatBurst: 1, anonymousChat: false }, subjects };
  const features = new FeatureRegistry([new Chat(chatOnly as ChatOptions)]);
  const registry = new StreamRegistry({
    bus,
    store,
    subjects,
    partitions: 1,
    historyCapacity: 100,
    lingerMs: 1000,
    metrics: new GatewayMetrics(),
    log: silentLogger,
    onPending: () => undefined,
    onForget: () => undefined,
    defaults: defaultSettings(['🔥']),
    onDelete: () => undefined,
    now: () => clock,
    // Chat arrives through its feature; nothing else it does is used here.
    features: () => features,
  });
  const state = registry.acquire('s', 'viewer');
  await state.ready;
  /** Publishes message `seq` live and, unless `stored` is false, writes it to history. */
  const send = async (seq: number, stored = true): Promise<void> => {
    const e = chat(seq);
    publisher.publish(subjects.stream('s', 'chat'), e.msgpack);
    if (stored) await store.history.append('s', [{ id: e.event.id, bytes: e.msgpack }]);
    await settle();
  };
  /** What the fanout does with a tick: chat into the window, holes noted; returns the events. */
  const tick = (): StreamEvent[] => {
    const batch = state.takeBatch(clock, { reactions: Infinity, viewers: Infinity });
    const events = batch.map((e) => e.event);
    for (const e of batch) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      const missing = state.recent.push({ id: event.id, event: e as EncodedEvent<ChatEvent> });
      if (missing > 0) state.recovery.noteHole('A', event.seq as number, missing, clock);
    }
    return events;
  };
  const advance = (ms: number): void => {
    clock += ms;
  };
  return {
    broker,
    bus,
    registry,
    state: state as StreamState,
    send,
    tick,
    advance,
    get clock() {
      return clock;
    },
  };
}

const texts = (events: StreamEvent[]): string[] =>
  events.map((e) => (e.type === 'chat' ? e.text : e.type === 'gap' ? `gap ${e.missed}` : e.type));

describe('StreamRegistry recovery', () => {
  it('fills a position hole from history and reports what history lacks as a gap event', async () => {
    const t = await setup();
    t.broker.failPublish = (_subject, payload) => {
      const seq = (EncodedEvent.fromMsgpack(payload).event as ChatEvent).seq;
      return seq === 3 || seq === 4;
    };
    await t.send(1);
    await t.send(2);
    await t.send(3);
    await t.send(4, false); // its history write failed too
    await t.send(5);
    expect(texts(t.tick())).toEqual(['m1', 'm2', 'm5']);
    expect(t.state.recent.resume('A2').gap).toBe(true);
    // Not before the writes had their chance.
    t.registry.recover(t.clock + RECOVERY_DELAY_MS - 1);
    await settle();
    expect(t.tick()).toEqual([]);
    t.registry.recover(t.clock + RECOVERY_DELAY_MS);
    await settle();
    await settle();
    expect(texts(t.tick())).toEqual(['m3', 'gap 1']);
    // m4 is lost for good: a resume across it still says so.
    expect(t.state.recent.resume('A2').gap).toBe(true);
    expect(t.state.recovery.holes).toEqual([]);
  });

  it('clears the hole when history holds every missing message', async () => {
    const t = await setup();
    t.broker.failPublish = (_s, payload) =>
      (EncodedEvent.fromMsgpack(payload).event as ChatEvent).seq === 2;
    await t.send(1);
    await t.send(2);
    await t.send(3);
    t.tick();
    t.registry.recover(t.clock + RECOVERY_DELAY_MS);
    await settle();
    await settle();
    expect(texts(t.tick())).toEqual(['m2']);
    expect(t.state.recent.resume('A1').gap).toBe(false);
  });

  it('after a bus outage, delivers from history what was published meanwhile', async () => {
    const t = await setup();
    await t.send(1);
    t.tick();
    t.broker.disconnect(t.bus);
    await t.send(2);
    await t.send(3);
    t.advance(100);
    t.broker.reconnect(t.bus);
    expect(t.tick()).toEqual([]);
    t.registry.recover(t.clock + RECOVERY_DELAY_MS);
    await settle();
    await settle();
    expect(texts(t.tick())).toEqual(['m2', 'm3']);
    // Nothing is recovered twice.
    t.registry.recover(t.clock + 2 * RECOVERY_DELAY_MS);
    await settle();
    expect(t.tick()).toEqual([]);
  });
});
