import { MemoryBroker, MemoryBus, Subjects } from '@roar/bus';
import { ErrorCode, type PollEvent } from '@roar/protocol';
import { silentLogger } from '@roar/runtime';
import { createMemoryStore, type Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../base/metrics.js';
import { defaultSettings } from '../../moderation/rules/settings.js';
import { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import { Polls } from './polls.js';

const FLUSH = 100;
const RESULTS = 1000;
const GRACE = 300;
const ws = {} as Socket;
const admin = { id: 'key:ops', roles: ['admin'], admin: true };

/** A signed-in viewer of `s` (or anonymous), as the connection layer hands it to features. */
function viewer(user: string | undefined): Session {
  const identity = user
    ? { key: `u:${user}`, userId: user, name: user, roles: [], anonymous: false }
    : { key: 'a:anon', userId: undefined, name: 'anon', roles: [], anonymous: true };
  return { identity, streams: ['s'], open: true } as unknown as Session;
}

/** One gateway's polls feature over a shared store and broker, on a clock the test moves. */
function gateway(store: Store, broker: MemoryBroker, clock: { now: number }) {
  const dirty: StreamState[] = [];
  const bus = new MemoryBus(broker);
  const polls = new Polls({
    config: { pollFlushMs: FLUSH, pollResultsMs: RESULTS, pollGraceMs: GRACE },
    store,
    bus,
    subjects: new Subjects('t'),
    metrics: new GatewayMetrics({ gateway: 'g' }),
    fanout: { markDirty: (state) => void dirty.push(state) },
    log: silentLogger,
    now: () => clock.now,
  });
  const state = new StreamState('s', 0, 10, defaultSettings(['🔥']));
  /** The poll events waiting in the stream's slot now (taken, as fanout would). */
  const shown = (): PollEvent[] =>
    state
      .takeBatch(clock.now, {})
      .map((e) => e.event)
      .filter((e): e is PollEvent => e.type === 'poll');
  return { polls, state, shown, bus };
}

/** Lets the store calls started by `report` settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('Polls feature', () => {
  it('counts one identity once across two gateways, and results at most once per window', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const clock = { now: 1_000_000 };
    const a = gateway(store, new MemoryBroker(), clock);
    const b = gateway(store, new MemoryBroker(), clock);
    const poll = await a.polls.desk.open(admin, 's', { question: 'Q', options: ['x', 'y'] });
    await Promise.all([a.polls.open(a.state), b.polls.open(b.state)]);
    const vote = (g: typeof a, user: string | undefined, option: number) =>
      g.polls.handle(
        { type: 'vote', ref: 1, stream: 's', poll: poll.id, option },
        ws,
        viewer(user),
        clock.now,
      );
    expect(vote(a, 'ann', 0)).toEqual({ type: 'ack', ref: 1 });
    expect(vote(a, 'ann', 0)).toEqual({ type: 'ack', ref: 1 });
    expect(() => vote(a, 'ann', 1)).toThrow(
      expect.objectContaining({ code: ErrorCode.AlreadyVoted }),
    );
    expect(() => vote(a, undefined, 1)).toThrow(
      expect.objectContaining({ code: ErrorCode.Unauthenticated }),
    );
    // The same user on the other gateway, another answer: acked there, refused by the store.
    expect(vote(b, 'ann', 1)).toEqual({ type: 'ack', ref: 1 });
    expect(vote(b, 'ben', 1)).toEqual({ type: 'ack', ref: 1 });
    clock.now += FLUSH;
    a.polls.report([a.state], clock.now);
    b.polls.report([b.state], clock.now);
    await settle();
    expect((await store.polls.get('s', poll.id))?.votes).toEqual([1, 1]);
    // Not yet a results window since the opening snapshot: nothing shown.
    expect(a.shown()).toEqual([]);
    clock.now += RESULTS;
    // A window later each gateway shows the store's counts: a's batch predates b's, so it reads.
    a.polls.report([a.state], clock.now);
    b.polls.report([b.state], clock.now);
    await settle();
    expect(a.shown().map((e) => [e.state, e.votes, e.total])).toEqual([['open', [1, 1], 2]]);
    expect(b.shown().map((e) => e.votes)).toEqual([[1, 1]]);
    // Under load (level 3) the window is 4 times longer: a new vote waits for it.
    a.polls.setLevel(3);
    vote(a, 'cy', 0);
    for (let t = 0; t < 4 * RESULTS; t += FLUSH) {
      clock.now += FLUSH;
      a.polls.report([a.state], clock.now);
      await settle();
      if (t < 4 * RESULTS - 2 * FLUSH) expect(a.shown(), `at +${t} ms`).toEqual([]);
    }
    expect(a.shown().map((e) => e.votes)).toEqual([[2, 1]]);
  });

  it('closes at the stored deadline on its own: counting, then the frozen final with the answer', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const clock = { now: 2_000_000 };
    const g = gateway(store, new MemoryBroker(), clock);
    const poll = await g.polls.desk.open(admin, 's', {
      question: 'Q',
      options: ['x', 'y', 'z'],
      durationS: 10,
      correct: 2,
    });
    await g.polls.open(g.state);
    g.polls.handle(
      { type: 'vote', stream: 's', poll: poll.id, option: 2 },
      ws,
      viewer('cy'),
      clock.now,
    );
    clock.now += 10_000;
    expect(() =>
      g.polls.handle(
        { type: 'vote', stream: 's', poll: poll.id, option: 0 },
        ws,
        viewer('dee'),
        clock.now,
      ),
    ).toThrow(expect.objectContaining({ code: ErrorCode.PollClosed }));
    g.polls.report([g.state], clock.now);
    await settle();
    const counting = g.shown();
    expect(counting.map((e) => e.state)).toEqual(['counting']);
    expect(counting[0]?.correct).toBeUndefined();
    // The vote taken before the end went out with that tick's batch, within the grace.
    clock.now += GRACE;
    g.polls.report([g.state], clock.now);
    await settle();
    const final = g.shown();
    expect(final.map((e) => [e.state, e.votes, e.correct])).toEqual([['closed', [0, 0, 1], 2]]);
    expect(final[0]?.ts).toBe(poll.endsAt);
    expect((await store.polls.get('s', poll.id))?.final).toBe(true);
    expect(g.polls.joined(g.state)?.[0]?.event).toMatchObject({ state: 'closed' });
  });

  it('heals announcements lost on the bus: a missed opening after a reconnect, a missed close within a window', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const clock = { now: 3_000_000 };
    const broker = new MemoryBroker();
    const g = gateway(store, broker, clock);
    // This gateway never hears the opening (announcements reach it only through a registry).
    const poll = await g.polls.desk.open(admin, 's', { question: 'Q', options: ['x', 'y'] });
    g.polls.report([g.state], clock.now);
    await settle();
    expect(g.shown()).toEqual([]);
    broker.disconnect(g.bus);
    broker.reconnect(g.bus);
    clock.now += FLUSH;
    g.polls.report([g.state], clock.now);
    await settle();
    expect(g.shown().map((e) => [e.id, e.state])).toEqual([[poll.id, 'open']]);
    // Closed elsewhere, unheard: the next results window's read learns it.
    await store.polls.close('s', poll.id, clock.now);
    const states: string[] = [];
    for (let t = 0; t <= RESULTS + GRACE + 2 * FLUSH; t += FLUSH) {
      clock.now += FLUSH;
      g.polls.report([g.state], clock.now);
      await settle();
      states.push(...g.shown().map((e) => e.state));
    }
    // Learned after the grace had passed: straight to the final (the slot keeps the newest).
    expect(states).toEqual(['closed']);
  });
});
