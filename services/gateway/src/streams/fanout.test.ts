import {
  EncodedEvent,
  msgpackCodec,
  type ServerMessage,
  type StreamEvent,
  type ViewersEvent,
} from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { FakeSocket, setup, turn, turns } from '../../test/fanout-fakes.js';
import type { GatewayMetrics } from '../base/metrics.js';

const counted = async (counter: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await counter.get()).values[0]?.value ?? 0;

describe('Fanout slices', () => {
  it('fills a slice before opening the next; a stream under the size stays on one topic', () => {
    const { state, join } = setup(3);
    const sockets = Array.from({ length: 7 }, join);
    expect(state.slices).toBe(3);
    expect(sockets.map((ws) => ws.topics)).toEqual([
      ['m/s'],
      ['m/s'],
      ['m/s'],
      ['m/s#1'],
      ['m/s#1'],
      ['m/s#1'],
      ['m/s#2'],
    ]);
  });

  it('writes one slice per loop turn and every socket gets the frame once', async () => {
    const { join, send, chat } = setup(2);
    const sockets = Array.from({ length: 6 }, join);
    send(chat('hello'));
    // The first slice at once, the others on later turns.
    expect(sockets.map((ws) => ws.texts.length)).toEqual([1, 1, 0, 0, 0, 0]);
    await turn();
    expect(sockets.map((ws) => ws.texts.length)).toEqual([1, 1, 1, 1, 0, 0]);
    await turn();
    await turn();
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(6).fill(['hello']));
  });

  it('a joiner waits for the batches queued before it: their chat is in its history', async () => {
    const { fanout, state, join, send, chat } = setup(2);
    const sockets = Array.from({ length: 6 }, join);
    send(chat('before'));
    // A viewer of the last slice leaves before its write, and a newcomer takes the place.
    fanout.unsubscribe(sockets[5] as FakeSocket, state.id);
    const late = join();
    expect(late.topics).toEqual([]);
    for (let i = 0; i < 4; i++) await turn();
    expect(late.topics).toEqual(['m/s#2']);
    expect(late.texts).toEqual([]);
    expect(sockets[4]?.texts).toEqual(['before']);
    expect(sockets[5]?.texts).toEqual([]);
    send(chat('after'));
    for (let i = 0; i < 4; i++) await turn();
    expect(late.texts).toEqual(['after']);
    expect(sockets[0]?.texts).toEqual(['before', 'after']);
  });

  it('a joiner waiting in a new slice still gets the batches delivered before it subscribes', async () => {
    const { state, join, send, chat } = setup(2);
    Array.from({ length: 4 }, join);
    send(chat('before'));
    const late = join();
    expect(state.slices).toBe(3);
    send(chat('between'));
    for (let i = 0; i < 6; i++) await turn();
    expect(late.topics).toEqual(['m/s#2']);
    expect(late.texts).toEqual(['between']);
  });

  it('a leave cancels a queued join; a rejoin subscribes once', async () => {
    const { fanout, state, join, send, chat } = setup(1);
    Array.from({ length: 3 }, join);
    send(chat('busy'));
    const late = join();
    fanout.unsubscribe(late, state.id);
    fanout.subscribe(late, state);
    for (let i = 0; i < 5; i++) await turn();
    expect(late.topics).toHaveLength(1);
    send(chat('next'));
    for (let i = 0; i < 5; i++) await turn();
    expect(late.texts).toEqual(['next']);
  });

  it('moves a slow socket to the priority tier of its own slice, and back', async () => {
    const { fanout, state, join, send, chat } = setup(2);
    const sockets = Array.from({ length: 4 }, join);
    const slow = sockets[3] as FakeSocket;
    slow.getUserData().slowSince = 1;
    fanout.moveTier(slow, state.id, true);
    expect(slow.topics).toEqual(['m/s#1!']);
    const announcement: StreamEvent = { type: 'announcement', id: 'a1', ts: 1, text: 'toss won' };
    send(chat('ordinary'), announcement);
    for (let i = 0; i < 3; i++) await turn();
    const kinds = (ws: FakeSocket) =>
      ws.received.flatMap((f) => {
        const m = msgpackCodec.decodeServer(f) as ServerMessage;
        return m.type === 'batch' ? m.events.map((e) => e.type) : [];
      });
    expect(kinds(slow)).toEqual(['announcement']);
    expect(kinds(sockets[2] as FakeSocket)).toEqual(['chat', 'announcement']);
    slow.getUserData().slowSince = undefined;
    fanout.moveTier(slow, state.id, false);
    expect(slow.topics).toEqual(['m/s#1']);
  });

  it('writes everything still queued at shutdown, and the news that waited behind it', () => {
    const { fanout, join, send, arrive, tick, chat, clock } = setup(1);
    const sockets = Array.from({ length: 5 }, join);
    send(chat('last words'));
    clock.t += 10;
    arrive(chat('after'));
    tick(clock.t + 10);
    fanout.drainAll();
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(5).fill(['last words', 'after']));
  });
});

describe('Fanout behind its writes', () => {
  it('merges the news of ticks that find the last batch still being written, in order', async () => {
    const { join, send, chat, metrics } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    send(chat('a'));
    // Two ticks while 'a' is still being written, one slice per turn: nothing more is queued.
    send(chat('b'));
    send(chat('c'), chat('d'));
    expect(await counted(metrics.coalesced)).toBe(2);
    await turns(10);
    for (const ws of sockets) expect(ws.frames).toEqual([['a'], ['b', 'c', 'd']]);
    expect(await counted(metrics.batches)).toBe(2);
  });

  it('tells load control how far behind its writes are: the oldest in progress, else the longest', async () => {
    const { fanout, join, send, chat, clock } = setup(1);
    Array.from({ length: 3 }, join);
    expect(fanout.takeLoad(clock.t).behindMs).toBe(0);
    send(chat('a'));
    const taken = clock.t;
    // Two slices of three are still to be written.
    expect(fanout.takeLoad(taken + 300).behindMs).toBe(300);
    clock.t = taken + 250;
    await turns(3);
    expect(fanout.takeLoad(taken + 400)).toMatchObject({ behindMs: 250 });
    expect(fanout.takeLoad(taken + 500).behindMs).toBe(0);
  });

  it('keeps only the newest latest value, and every priority event, of the ticks it merges', async () => {
    const { state, fanout, join, send, chat } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    const slow = sockets[2] as FakeSocket;
    slow.getUserData().slowSince = 1;
    fanout.moveTier(slow, state.id, true);
    const count = (total: number) =>
      EncodedEvent.of<ViewersEvent>({ type: 'viewers', total, text: `${total}` });
    send(chat('a'));
    state.queueViewers(count(10));
    send({ type: 'announcement', id: 'a1', ts: 1, text: 'toss won' });
    state.queueViewers(count(11));
    const user = { id: 'm', name: 'm', roles: ['moderator'] };
    send({ type: 'chat', id: 'id-mod', ts: 1, user, text: 'from the mod' });
    await turns(10);
    const merged = ['announcement', 'from the mod', 'viewers'];
    expect(sockets[0]?.frames).toEqual([['a'], merged]);
    // The slow viewer gets no ordinary chat, but every priority event of the merged ticks. Its
    // slice was not written yet when the counts arrived: the newest joined the first batch
    // there, and the merged batch does not send it again.
    expect(slow.frames).toEqual([['viewers'], ['announcement', 'from the mod']]);
    const last = msgpackCodec.decodeServer(slow.received[0] as Uint8Array) as ServerMessage;
    expect(last.type === 'batch' && last.events.find((e) => e.type === 'viewers')).toMatchObject({
      total: 11,
    });
  });

  it('a joiner while news waits gets the merged batch once, and none of what its history holds', async () => {
    const { state, join, send, chat } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    send(chat('a'));
    send(chat('b'));
    // What a joiner's history would hold now: 'a' (delivered), not 'b' (waiting).
    expect(state.recent.last(10).map((e) => e.id)).toEqual(['id-a']);
    const late = join();
    expect(late.topics).toEqual([]);
    await turns(12);
    expect(late.frames).toEqual([['b']]);
    for (const ws of sockets) expect(ws.frames).toEqual([['a'], ['b']]);
    expect(state.recent.last(10).map((e) => e.id)).toEqual(['id-a', 'id-b']);
  });

  it('sends a sender its own message exactly once when a merged batch is sampled', async () => {
    // A budget of one message a second: the merged batch's ordinary chat is all sampled out.
    const { own, join, send, chat, metrics } = setup(1, 1);
    const sockets = Array.from({ length: 3 }, join);
    const sender = sockets[1] as FakeSocket;
    send(chat('a'));
    for (const text of ['b', 'c', 'd']) own.add(`id-${text}`, sender, 1000);
    send(chat('b'), chat('c'));
    send(chat('d'));
    await turns(12);
    expect(await counted(metrics.sampledOut)).toBe(3);
    expect(sender.texts).toEqual(['a', 'b', 'c', 'd']);
    expect(sockets[0]?.texts).toEqual(['a']);
    expect(own.size).toBe(0);
  });
});

describe('Fanout pacing', () => {
  it('has what must be stored written before each batch, the leading edge included', async () => {
    const seen: number[] = [];
    const viewer: { ws?: FakeSocket } = {};
    const { join, arrive, tick, chat, clock } = setup(10, 1000, {
      // How many frames the viewer had when the store was asked to write.
      onDeliver: () => void seen.push(viewer.ws?.received.length ?? -1),
    });
    const ws = (viewer.ws = join());
    arrive(chat('first'));
    await turn();
    clock.t = 1010;
    arrive(chat('second'));
    tick(1060);
    expect(ws.frames).toEqual([['first'], ['second']]);
    expect(seen).toEqual([0, 1]);
  });

  it('sends news for a stream quiet for a tick at once, and at most one frame per tick', async () => {
    const { join, arrive, tick, chat, clock, metrics } = setup(10);
    const ws = join();
    arrive(chat('first'));
    await turn();
    expect(ws.frames).toEqual([['first']]);
    // More news within the tick waits, and a tick less than a tick after that frame skips it.
    clock.t = 1010;
    arrive(chat('second'));
    await turn();
    tick(1030);
    expect(ws.frames).toHaveLength(1);
    tick(1080);
    expect(ws.frames).toEqual([['first'], ['second']]);
    // Busy: ticks carry the news, one frame each.
    clock.t = 1100;
    arrive(chat('third'));
    await turn();
    expect(ws.frames).toHaveLength(2);
    tick(1130);
    expect(ws.frames).toEqual([['first'], ['second'], ['third']]);
    expect(await counted(metrics.leadingBatches)).toBe(1);
  });

  it('after a storm, a lone message a second and more later goes out at once again', async () => {
    const { join, arrive, tick, clock, state } = setup(10, 5);
    const ws = join();
    const at = (text: string): StreamEvent => ({
      type: 'chat',
      id: `id-${text}`,
      ts: clock.t,
      user: { id: 'u', name: 'u' },
      text,
    });
    // 40 messages a second for two seconds, against a budget of 5 a second: sampled.
    for (let t = 1000; t < 3000; t += 50) {
      clock.t = t;
      arrive(at(`a${t}`), at(`b${t}`));
      tick(t);
    }
    await turns(4);
    expect(state.delivery.sampler?.ratioAt(clock.t)).toBeLessThan(1);
    clock.t = 5000;
    arrive(at('later'));
    await turn();
    expect(ws.texts.at(-1)).toBe('later');
  });

  it('once its writes are done, sends what waited no sooner than a tick after its last frame', async () => {
    const { join, arrive, tick, chat, clock } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    tick(1000);
    arrive(chat('a'));
    tick(1000);
    clock.t = 1020;
    arrive(chat('b'));
    tick(1020);
    await turns(6);
    // Written by 1020, less than a tick after 'a': 'b' waits for a tick.
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(3).fill(['a']));
    tick(1050);
    await turns(6);
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(3).fill(['a', 'b']));
  });
});

describe('Fanout: latest values joining a batch being written', () => {
  /** Viewer counts observed by `roar_fanout_latest_seconds` (each once every slice held it). */
  const reached = async (metrics: GatewayMetrics): Promise<number> => {
    const text = await metrics.registry.getSingleMetricAsString('roar_fanout_latest_seconds');
    return Number(/_count\{slot="viewers"[^}]*\} (\d+)/.exec(text)?.[1] ?? -1);
  };
  const count = (total: number) =>
    EncodedEvent.of<ViewersEvent>({ type: 'viewers', total, text: `${total}` });
  /** Per frame received, the viewer counts it carries. */
  const totals = (ws: FakeSocket | undefined): number[][] =>
    (ws?.received ?? []).map((frame) => {
      const m = msgpackCodec.decodeServer(frame) as ServerMessage;
      return m.type === 'batch'
        ? m.events.flatMap((e) => (e.type === 'viewers' ? [e.total] : []))
        : [];
    });

  it('gives a newer value to the slices not written yet, and the next batch to the others only', async () => {
    const { state, fanout, join, send, chat, tick, clock, metrics } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    state.queueViewers(count(1));
    send(chat('a'));
    // The first slice is written; the count changes before the other two are.
    state.queueViewers(count(2));
    fanout.markDirty(state);
    await turns(6);
    expect(sockets.map(totals)).toEqual([[[1]], [[2]], [[2]]]);
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(3).fill(['a']));
    expect(await counted(metrics.joined)).toBe(1);
    // Every slice holds 1 or newer: 1 has reached every viewer, 2 not yet.
    expect(await reached(metrics)).toBe(1);
    tick(clock.t + 50);
    await turns(6);
    // Nothing else is new: the slices that got 2 get no frame at all.
    expect(sockets.map(totals)).toEqual([[[1], [2]], [[2]], [[2]]]);
    expect(await reached(metrics)).toBe(2);
  });

  it('sends the newest value to every slice when it changed again after joining', async () => {
    const { state, fanout, join, send, chat, tick, clock } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    send(chat('a'));
    state.queueViewers(count(2));
    fanout.markDirty(state);
    await turn();
    state.queueViewers(count(3));
    await turns(6);
    expect(sockets.map(totals)).toEqual([[[]], [[2]], [[3]]]);
    tick(clock.t + 50);
    await turns(6);
    // The last slice got 3 when it joined: the next batch writes the first two only.
    expect(sockets.map((ws) => totals(ws).at(-1))).toEqual([[3], [3], [3]]);
    expect(sockets.map((ws) => ws.received.length)).toEqual([2, 2, 1]);
  });

  it('never joins reaction bursts (increments) nor keys whose pushes are spaced', async () => {
    const { state, fanout, join, send, chat } = setup(1);
    fanout.applyPolicy({
      countIntervalMs: 1000,
      reactionIntervalMs: 0,
      featureIntervalMs: 0,
      chatBudgetPerS: 1000,
    });
    const sockets = Array.from({ length: 3 }, join);
    send(chat('a'));
    state.queueViewers(count(2));
    state.slots.set('reactions', { type: 'reactions', counts: { '👏': 3 }, windowMs: 100 });
    fanout.markDirty(state);
    await turns(6);
    expect(sockets.map((ws) => ws.frames)).toEqual(Array(3).fill([['a']]));
  });

  it('a viewer subscribed after a join gets the value with the next batch', async () => {
    const { state, fanout, join, send, chat, tick, clock } = setup(1);
    const sockets = Array.from({ length: 3 }, join);
    send(chat('a'));
    state.queueViewers(count(2));
    fanout.markDirty(state);
    // The last slice's viewer leaves and a newcomer takes its place, after this batch.
    fanout.unsubscribe(sockets[2] as FakeSocket, state.id);
    const late = join();
    await turns(8);
    expect(late.topics).toEqual(['m/s#2']);
    tick(clock.t + 50);
    await turns(6);
    expect(totals(late)).toEqual([[2]]);
    expect(sockets.slice(0, 2).map((ws) => totals(ws).at(-1))).toEqual([[2], [2]]);
  });
});
