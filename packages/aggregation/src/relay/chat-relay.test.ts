import { MemoryBroker, Subjects } from '@roar/bus';
import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { ChatRelay, decodeEpoch } from './chat-relay.js';

const subjects = new Subjects('t');

function setup(ratePerS = 10) {
  const broker = new MemoryBroker();
  const relayBus = broker.connect();
  const gateway = broker.connect();
  let now = 1_000_000;
  const relay = new ChatRelay({
    bus: relayBus,
    subjects,
    ratePerS,
    maxAgeMs: 1000,
    now: () => now,
  });
  const out: ChatEvent[] = [];
  const beats: number[] = [];
  gateway.subscribe(subjects.stream('s', 'chat'), (p) =>
    out.push(EncodedEvent.fromMsgpack<ChatEvent>(p.slice()).event),
  );
  gateway.subscribe(subjects.relayBeats(), (p) => beats.push(decodeEpoch(p) ?? -1));
  let n = 0;
  const send = (epoch: number, extra: Partial<ChatEvent> = {}): void => {
    const event: ChatEvent = {
      type: 'chat',
      id: `m${n++}`,
      ts: now,
      user: { id: 'u', name: 'u' },
      text: 'hi',
      origin: 'gw.0',
      seq: n,
      ...extra,
    };
    gateway.publish(subjects.relayIn(0, epoch, 's'), EncodedEvent.of(event).msgpack);
  };
  return {
    relay,
    gateway,
    out,
    beats,
    send,
    advance: (ms: number) => (now += ms),
    at: () => now,
  };
}

describe('ChatRelay', () => {
  it('forwards everything while chat is slower than its rate, under positions of its own', async () => {
    const t = setup(10);
    t.relay.own(0, 7);
    await t.gateway.flush();
    expect(t.beats).toEqual([7]);
    for (let i = 0; i < 10; i++) {
      t.send(7);
      await t.gateway.flush();
      t.advance(150);
    }
    await t.gateway.flush();
    expect(t.out).toHaveLength(10);
    const origin = t.out[0]?.origin;
    expect(origin).toMatch(/^relay\./);
    expect(t.out.map((e) => [e.origin, e.seq])).toEqual(
      Array.from({ length: 10 }, (_, i) => [origin, i + 1]),
    );
  });

  it('caps a storm at its rate, lets priority through, and leaves no hole in what it forwards', async () => {
    const t = setup(10);
    t.relay.own(0, 1);
    // 1,000 messages over one second: 10 a second may go, plus one second's burst.
    for (let i = 0; i < 1000; i++) {
      t.send(1);
      if (i % 100 !== 99) continue;
      await t.gateway.flush();
      t.advance(100);
    }
    t.send(1, { user: { id: 'm', name: 'mod', roles: ['moderator'] } });
    await t.gateway.flush();
    const ordinary = t.out.filter((e) => e.user.roles === undefined);
    expect(ordinary.length).toBeGreaterThanOrEqual(10);
    expect(ordinary.length).toBeLessThanOrEqual(21);
    expect(t.out.at(-1)?.user.name).toBe('mod');
    expect(t.out.map((e) => e.seq)).toEqual(t.out.map((_, i) => i + 1));
    expect(t.relay.stats.sampled).toBe(1000 - ordinary.length);
  });

  it('reads only its own epoch', async () => {
    const t = setup(10);
    t.relay.own(0, 2);
    t.send(1); // for an older owner
    t.send(2);
    await t.gateway.flush();
    expect(t.out.map((e) => e.id)).toEqual(['m1']);
    t.relay.disown(0);
    t.send(2);
    await t.gateway.flush();
    expect(t.out).toHaveLength(1);
  });

  it('drops the backlog it reads after a pause of its own and stays silent for the timeout', async () => {
    const t = setup(10);
    t.relay.own(0, 1);
    t.relay.tick();
    await t.gateway.flush();
    const beats = t.beats.length;
    t.advance(5000); // SIGSTOP: no tick ran
    t.send(1); // read on resuming, before its timer
    await t.gateway.flush();
    expect(t.out).toEqual([]);
    t.relay.tick(); // sees the pause
    t.advance(500);
    t.relay.tick();
    t.send(1);
    await t.gateway.flush();
    expect(t.out).toEqual([]);
    expect(t.beats).toHaveLength(beats);
    expect(t.relay.stats.late).toBe(2);
    t.advance(600);
    t.relay.tick();
    t.send(1);
    await t.gateway.flush();
    expect(t.out.map((e) => e.id)).toEqual(['m2']);
    expect(t.beats).toHaveLength(beats + 1);
  });

  it('beats for each owned partition on every tick, and stops when it lets go', async () => {
    const t = setup();
    t.relay.own(0, 3);
    t.relay.tick();
    t.relay.disown(0);
    t.relay.tick();
    await t.gateway.flush();
    expect(t.beats).toEqual([3, 3]);
  });
});
