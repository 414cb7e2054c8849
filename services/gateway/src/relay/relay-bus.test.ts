import { ChatRelay } from '@roar/aggregation';
import { MemoryBroker, RELAY_KEPT_HEADER, Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayBus } from './relay-bus.js';

const subjects = new Subjects('t');
const TIMEOUT = 1000;

/** Every gateway's bus of a test, closed after it. */
const buses: RelayBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

function setup(ratePerS: number) {
  const broker = new MemoryBroker();
  let now = 1_000_000;
  const clock = (): number => now;
  const relay = new ChatRelay({
    bus: broker.connect(),
    subjects,
    ratePerS,
    maxAgeMs: TIMEOUT,
    now: clock,
  });
  const gateway = (): { bus: RelayBus; got: ChatEvent[]; kept: string[] } => {
    const bus = new RelayBus(broker.connect(), {
      subjects,
      partitions: 1,
      timeoutMs: TIMEOUT,
      now: clock,
    });
    buses.push(bus);
    const got: ChatEvent[] = [];
    const kept: string[] = [];
    bus.subscribe(subjects.streamAll('s'), (p, _s, h) => {
      const event = EncodedEvent.fromMsgpack<ChatEvent>(p.slice()).event;
      got.push(event);
      if (h?.get(RELAY_KEPT_HEADER) === '1') kept.push(event.id);
    });
    return { bus, got, kept };
  };
  let n = 0;
  // As the chat handler publishes: the accepting gateway's positions stamped.
  const chat = (bus: RelayBus): string => {
    const id = `m${n++}`;
    const event: ChatEvent = {
      type: 'chat',
      id,
      ts: now,
      user: { id: 'u', name: 'u' },
      text: id,
      origin: 'gw-a.0',
      seq: n,
    };
    bus.publish(subjects.stream('s', 'chat'), EncodedEvent.of(event).msgpack);
    return id;
  };
  return { broker, relay, gateway, chat, advance: (ms: number) => (now += ms), at: clock };
}

describe('RelayBus', () => {
  it('sends chat through a live relay, which both gateways then receive with its positions', async () => {
    const t = setup(100);
    const a = t.gateway();
    const b = t.gateway();
    t.relay.own(0, 1);
    await a.bus.flush();
    t.chat(a.bus);
    t.chat(a.bus);
    await a.bus.flush();
    await a.bus.flush();
    for (const g of [a, b]) {
      expect(g.got.map((e) => e.seq)).toEqual([1, 2]);
      expect(g.got[0]?.origin).toMatch(/^relay\./);
    }
    expect(a.bus.stats).toMatchObject({ relayed: 2, direct: 0 });
    // Both came back: nothing is left to settle.
    t.advance(TIMEOUT);
    t.relay.tick();
    await a.bus.flush();
    a.bus.check();
    expect(a.bus.stats).toMatchObject({ kept: 0, resent: 0 });
  });

  it('hands a message the relay sampled out back to its own gateway, for its sender, with no position', async () => {
    const t = setup(1);
    const a = t.gateway();
    const b = t.gateway();
    t.relay.own(0, 1);
    await a.bus.flush();
    const first = t.chat(a.bus);
    const second = t.chat(a.bus); // over the relay's rate of 1 a second
    await a.bus.flush();
    await a.bus.flush();
    expect(b.got.map((e) => e.id)).toEqual([first]);
    t.advance(TIMEOUT / 2);
    t.relay.tick();
    await a.bus.flush();
    t.advance(TIMEOUT / 2);
    a.bus.check();
    expect(a.got.map((e) => e.id)).toEqual([first, second]);
    const kept = a.got[1] as ChatEvent;
    expect([kept.origin, kept.seq]).toEqual([undefined, undefined]);
    expect(a.kept).toEqual([second]);
    await a.bus.flush();
    expect(b.got.map((e) => e.id)).toEqual([first]);
    expect(a.bus.stats).toMatchObject({ kept: 1, resent: 0 });
  });

  it('gives up on a silent relay: resends what it did not forward, then sends directly', async () => {
    const t = setup(100);
    const a = t.gateway();
    const b = t.gateway();
    t.relay.own(0, 1);
    await a.bus.flush();
    // The relay dies (no more beats, nothing forwarded) right after taking a message.
    t.relay.stop();
    const lost = t.chat(a.bus);
    await a.bus.flush();
    expect(b.got).toEqual([]);
    t.advance(TIMEOUT);
    a.bus.check();
    const after = t.chat(a.bus);
    await a.bus.flush();
    await a.bus.flush();
    expect(b.got.map((e) => e.id)).toEqual([lost, after]);
    // Positions of the bus's own origin, with no hole between them.
    expect(b.got.map((e) => e.seq)).toEqual([1, 2]);
    expect(b.got[0]?.origin).toBe(b.got[1]?.origin);
    expect(b.got[0]?.origin).not.toBe('gw-a.0');
    expect(a.bus.stats).toMatchObject({ relayed: 1, resent: 1, direct: 2 });
  });

  it('ignores a paused old owner beating under its old epoch while the new one lives', async () => {
    const t = setup(100);
    const a = t.gateway();
    const stale = new ChatRelay({ bus: t.broker.connect(), subjects, ratePerS: 100, now: t.at });
    t.relay.own(0, 5);
    await a.bus.flush();
    stale.own(0, 4);
    await a.bus.flush();
    t.chat(a.bus);
    await a.bus.flush();
    await a.bus.flush();
    expect(t.relay.stats.received).toBe(1);
    expect(stale.stats.received).toBe(0);
    expect(a.got).toHaveLength(1);
  });

  it('resends what went to an owner that a new one replaced before forwarding it', async () => {
    const t = setup(100);
    const a = t.gateway();
    const b = t.gateway();
    t.relay.own(0, 1);
    await a.bus.flush();
    t.relay.stop(); // paused: it beats no more and forwards nothing
    const lost = t.chat(a.bus);
    await a.bus.flush();
    const next = new ChatRelay({ bus: t.broker.connect(), subjects, ratePerS: 100, now: t.at });
    t.advance(TIMEOUT / 2);
    next.own(0, 2); // the standby, beating after the message was sent
    await a.bus.flush();
    t.advance(TIMEOUT / 2);
    a.bus.check();
    await a.bus.flush();
    await a.bus.flush();
    expect(b.got.map((e) => e.id)).toEqual([lost]);
    expect(a.bus.stats).toMatchObject({ resent: 1, kept: 0 });
    next.stop();
  });
});
