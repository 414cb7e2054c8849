import type { ChatEvent, StreamEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { answerJoin, chat, harness, settings } from '../test/client-harness.js';
import { settle, type FakeTransport } from '../test/fakes.js';
import { JOIN_RETRIES } from './joins.js';

const viewers = { total: 3, text: '3 watching' };

/** Answers the client's last join: three viewers, the 🔥 reaction, no history unless given. */
const joined = (
  t: FakeTransport,
  stream: string,
  fields: { history?: ChatEvent[]; resumed?: boolean; gap?: boolean } = {},
): void => answerJoin(t, stream, { viewers, reactions: ['🔥'], ...fields });

function batch(t: FakeTransport, stream: string, events: (StreamEvent | object)[]): void {
  t.push({ type: 'batch', stream, events });
}

describe('RoarClient streams', () => {
  it('joins: resolves with the reply, emits joined, viewers, and history as chat events', async () => {
    const h = harness();
    const t = await h.open();
    const joining = h.client.join('final');
    expect(t.last('join')).toEqual({ type: 'join', ref: expect.any(Number), stream: 'final' });
    const history = [chat('one'), chat('two')];
    joined(t, 'final', { history });
    await expect(joining).resolves.toMatchObject({ stream: 'final', history });
    expect(h.seen.joined).toEqual([
      {
        stream: 'final',
        viewers,
        history,
        resumed: false,
        gap: false,
        reactions: ['🔥'],
        settings,
        pinned: null,
      },
    ]);
    expect(h.seen.viewers).toEqual([{ stream: 'final', viewers }]);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['one', 'two']);
    // Joining again is not an error: it resolves with the current join.
    await expect(h.client.join('final')).resolves.toMatchObject({ stream: 'final' });
    expect(t.sent.filter((m) => m.type === 'join')).toHaveLength(1);
  });

  it('waits for the welcome when joined before connecting', async () => {
    const h = harness();
    const joining = h.client.join('early');
    const t = await h.open();
    expect(t.last('join').stream).toBe('early');
    joined(t, 'early');
    await expect(joining).resolves.toMatchObject({ stream: 'early' });
  });

  it('delivers batch events by type and skips event types it does not know', async () => {
    const h = harness();
    const t = await h.open();
    void h.client.join('s');
    joined(t, 's');
    batch(t, 's', [
      chat('hello'),
      { type: 'poll', question: 'who wins?' },
      { type: 'reactions', counts: { '🔥': 12 }, windowMs: 100 },
      { type: 'viewers', total: 1200, text: '1.2K watching' },
      chat('bye'),
    ]);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['hello', 'bye']);
    expect(h.seen.reactions).toEqual([{ stream: 's', counts: { '🔥': 12 }, windowMs: 100 }]);
    expect(h.seen.viewers.at(-1)).toEqual({
      stream: 's',
      viewers: { total: 1200, text: '1.2K watching' },
    });
    expect(h.seen.error).toEqual([]);
  });

  it('rejoins after a reconnect from the last chat id and delivers each message once, in order', async () => {
    const h = harness({ codec: 'msgpack' });
    let t = await h.open();
    void h.client.join('s');
    const [m1, m2, m3, m4, m5] = ['m1', 'm2', 'm3', 'm4', 'm5'].map((x) => chat(x));
    if (!m1 || !m2 || !m3 || !m4 || !m5) throw new Error('unreachable');
    joined(t, 's', { history: [m1] });
    batch(t, 's', [m2, m3]);
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.last('join')).toMatchObject({ stream: 's', since: m3.id });
    // The server replays from `since`; a batch racing the rejoin repeats one too.
    joined(t, 's', { history: [m4], resumed: true });
    batch(t, 's', [m4, m5]);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(h.seen.joined.at(-1)).toMatchObject({ resumed: true, gap: false, history: [m4] });
    expect(h.seen.gap).toEqual([]);
    expect(h.client.stats.duplicates).toBe(1);
  });

  it('emits gap when the server could not resume, and drops what was already shown', async () => {
    const h = harness();
    let t = await h.open();
    void h.client.join('s');
    const seen = [chat('a'), chat('b')];
    joined(t, 's', { history: seen });
    t.drop(4001);
    t = await h.redial();
    t.welcome();
    const later = [chat('x'), chat('y')];
    // The window moved past `since`: the server sends its last N, which overlap what we have.
    joined(t, 's', { history: [...seen, ...later], gap: true });
    expect(h.seen.gap).toEqual([{ stream: 's', reason: 'resume' }]);
    expect(h.seen.joined.at(-1)?.history.map((e) => e.text)).toEqual(['x', 'y']);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['a', 'b', 'x', 'y']);
  });

  it('surfaces a gap event inside a batch as a live gap, in order with the chat around it', async () => {
    const h = harness();
    const t = await h.open();
    void h.client.join('s');
    joined(t, 's');
    const order: string[] = [];
    h.client.on('chat', (c) => order.push(c.event.text));
    h.client.on('gap', (g) => order.push(`gap:${g.reason}:${g.missed ?? '-'}`));
    batch(t, 's', [chat('before'), { type: 'gap', missed: 3 }, chat('after')]);
    await settle();
    expect(h.seen.gap).toEqual([{ stream: 's', reason: 'live', missed: 3 }]);
    expect(order).toEqual(['before', 'gap:live:3', 'after']);
  });

  it('rejects a join in flight with disconnected, and still rejoins the stream', async () => {
    const h = harness();
    let t = await h.open();
    const joining = h.client.join('s');
    t.drop(1006);
    await expect(joining).rejects.toMatchObject({ code: 'disconnected' });
    t = await h.redial();
    t.welcome();
    expect(t.last('join').stream).toBe('s');
  });

  it('forgets a stream the server refuses', async () => {
    const h = harness();
    let t = await h.open();
    const joining = h.client.join('full');
    const ref = t.last('join').ref ?? -1;
    t.push({ type: 'error', ref, code: 'too_many_streams', message: 'at most 10' });
    await expect(joining).rejects.toMatchObject({ code: 'too_many_streams' });
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.sent.filter((m) => m.type === 'join')).toEqual([]);
  });

  it('joins again a stream answered unavailable, after retryAfterMs, and join() waits for it', async () => {
    const h = harness();
    const t = await h.open();
    const joining = h.client.join('paid');
    let settled = false;
    void joining.then(
      () => (settled = true),
      () => (settled = true),
    );
    const unavailable = () =>
      t.push({
        type: 'error',
        ref: t.last('join').ref ?? -1,
        code: 'unavailable',
        message: 'cannot check access to this stream now; try again',
        retryAfterMs: 2000,
      });
    const joins = () => t.sent.filter((m) => m.type === 'join').length;
    unavailable();
    await settle();
    h.clock.advance(1999);
    await settle();
    expect(joins()).toBe(1);
    expect(settled).toBe(false);
    h.clock.advance(1);
    await settle();
    expect(joins()).toBe(2);
    // Again: the backoff grows but never goes under the server's retryAfterMs.
    unavailable();
    await settle();
    h.clock.advance(1999);
    await settle();
    expect(joins()).toBe(2);
    h.clock.advance(1);
    await settle();
    expect(joins()).toBe(3);
    joined(t, 'paid');
    await expect(joining).resolves.toMatchObject({ stream: 'paid' });
  });

  it('keeps a stream whose rejoin after a reconnect is answered unavailable', async () => {
    const h = harness();
    let t = await h.open();
    void h.client.join('paid');
    joined(t, 'paid');
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    const ref = t.last('join').ref ?? -1;
    t.push({ type: 'error', ref, code: 'unavailable', message: 'down', retryAfterMs: 1000 });
    await settle();
    h.clock.advance(1000);
    await settle();
    expect(t.sent.filter((m) => m.type === 'join')).toHaveLength(2);
    joined(t, 'paid');
    await settle();
    expect(h.seen.joined).toHaveLength(2);
  });

  it('gives a stream up after JOIN_RETRIES unavailable answers, with that error', async () => {
    const h = harness();
    let t = await h.open();
    const joining = h.client.join('paid');
    const outcome = joining.then(
      () => 'joined',
      (e: { code: string }) => e.code,
    );
    for (let i = 0; i <= JOIN_RETRIES; i++) {
      const ref = t.last('join').ref ?? -1;
      t.push({ type: 'error', ref, code: 'unavailable', message: 'down', retryAfterMs: 1000 });
      await settle();
      // The backoff's delay (random 0.5: half its ceiling, 1 s doubling to 30 s), never under
      // retryAfterMs; advanced exactly, so the join sent then has not timed out yet.
      h.clock.advance(Math.max(1000, 0.5 * Math.min(30_000, 1000 * 2 ** i)));
      await settle();
    }
    expect(t.sent.filter((m) => m.type === 'join')).toHaveLength(JOIN_RETRIES + 1);
    expect(await outcome).toBe('unavailable');
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.sent.filter((m) => m.type === 'join')).toEqual([]);
  });

  it('leave: no more events, not rejoined, and a pending join is cancelled', async () => {
    const h = harness();
    let t = await h.open();
    void h.client.join('a');
    joined(t, 'a');
    const leaving = h.client.leave('a');
    const leave = t.last('leave');
    batch(t, 'a', [chat('after leave')]);
    t.push({ type: 'left', ref: leave.ref ?? -1, stream: 'a' });
    await leaving;
    expect(h.seen.chat).toEqual([]);
    const joiningB = h.client.join('b');
    const left = h.client.leave('b');
    await expect(joiningB).rejects.toMatchObject({ code: 'cancelled' });
    t.push({ type: 'error', ref: t.last('leave').ref ?? -1, code: 'not_joined', message: 'no' });
    await expect(left).resolves.toBeUndefined();
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.sent.filter((m) => m.type === 'join')).toEqual([]);
    await expect(h.client.leave('never-joined')).resolves.toBeUndefined();
  });
});

describe('RoarClient playback alignment', () => {
  it('holds chat and reactions until the player reaches them; viewer counts are not held', async () => {
    const h = harness({ playback: { latencyMs: 4000 } });
    const t = await h.open();
    // The first thing after the welcome: a ping to learn the server clock (60 s ahead here).
    const ping = t.last('ping');
    t.push({ type: 'pong', ref: ping.ref ?? -1, ts: h.clock.now() + 60_000 });
    await settle();
    expect(h.client.serverNow() - h.clock.now()).toBe(60_000);
    void h.client.join('s');
    joined(t, 's');
    const serverNow = h.client.serverNow();
    batch(t, 's', [
      chat('at the live edge', serverNow),
      { type: 'viewers', total: 10, text: '10 watching' },
      { type: 'reactions', counts: { '🔥': 3 }, windowMs: 100 },
    ]);
    h.clock.advance(1000);
    batch(t, 's', [chat('a second later', serverNow + 1000)]);
    expect(h.seen.viewers.at(-1)?.viewers.total).toBe(10);
    expect(h.seen.chat).toEqual([]);
    expect(h.client.stats.held).toBe(3);
    h.clock.advance(2999);
    expect(h.seen.chat).toEqual([]);
    h.clock.advance(1);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['at the live edge']);
    expect(h.seen.reactions).toHaveLength(1);
    h.clock.advance(1000);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['at the live edge', 'a second later']);
    expect(h.client.stats.held).toBe(0);
  });

  it('re-estimates the clock every 30 s while open', async () => {
    const h = harness({ playback: { latencyMs: 1000 } });
    const t = await h.open();
    const pings = (): number => t.sent.filter((m) => m.type === 'ping').length;
    expect(pings()).toBe(1);
    h.clock.advance(30_000);
    expect(pings()).toBe(2);
    h.clock.advance(30_000);
    expect(pings()).toBe(3);
  });

  it('does not ping on its own without playback alignment', async () => {
    const h = harness();
    const t = await h.open();
    h.clock.advance(120_000);
    expect(t.sent.filter((m) => m.type === 'ping')).toEqual([]);
  });
});
