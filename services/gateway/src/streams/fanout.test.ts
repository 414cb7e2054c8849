import { EncodedEvent, msgpackCodec, type ServerMessage, type StreamEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { Fanout } from './fanout.js';
import { GatewayMetrics } from '../base/metrics.js';
import { defaultSettings } from '../moderation/rules/settings.js';
import { OwnMessages } from './own-messages.js';
import type { Publisher, Session, Socket } from '../transport/socket.js';
import { StreamState } from './stream-state.js';
import { AnonymousIdentity } from '../base/anonymous.js';

/** Topics as uWS keeps them, for sockets that record what they are sent. */
class FakeHub implements Publisher {
  readonly topics = new Map<string, Set<FakeSocket>>();

  publish(topic: string, frame: Uint8Array | string): void {
    for (const ws of this.topics.get(topic) ?? []) ws.received.push(frame as Uint8Array);
  }

  subscribers(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }
}

class FakeSocket implements Socket {
  readonly received: Uint8Array[] = [];
  readonly #hub: FakeHub;
  readonly #session: Session;

  constructor(hub: FakeHub, id: string, stream: string) {
    this.#hub = hub;
    this.#session = {
      id,
      identity: new AnonymousIdentity(`c:${id}`),
      signIn: undefined,
      ready: true,
      backlog: undefined,
      codec: msgpackCodec,
      ip: '127.0.0.1',
      streams: [stream],
      joining: undefined,
      open: true,
      closed: false,
      frames: undefined,
      floodDrops: 0,
      badFrames: 0,
      slowSince: undefined,
    };
  }

  /** The chat texts this socket was sent, in order. */
  get texts(): string[] {
    return this.received.flatMap((frame) => {
      const m = msgpackCodec.decodeServer(frame) as ServerMessage;
      return m.type === 'batch' ? m.events.flatMap((e) => (e.type === 'chat' ? [e.text] : [])) : [];
    });
  }

  get topics(): string[] {
    return [...this.#hub.topics].filter(([, s]) => s.has(this)).map(([t]) => t);
  }

  send(message: Uint8Array | string): number {
    this.received.push(message as Uint8Array);
    return 1;
  }
  subscribe(topic: string): boolean {
    const set = this.#hub.topics.get(topic) ?? new Set();
    this.#hub.topics.set(topic, set);
    if (set.has(this)) return false;
    set.add(this);
    return true;
  }
  unsubscribe(topic: string): boolean {
    return this.#hub.topics.get(topic)?.delete(this) ?? false;
  }
  isSubscribed(topic: string): boolean {
    return this.#hub.topics.get(topic)?.has(this) ?? false;
  }
  end(): void {}
  close(): void {}
  getBufferedAmount(): number {
    return 0;
  }
  getUserData(): Session {
    return this.#session;
  }
  cork(cb: () => void): void {
    cb();
  }
}

function setup(sliceSockets: number) {
  const hub = new FakeHub();
  const state = new StreamState('s', 0, 50, defaultSettings(['👏']));
  const fanout = new Fanout({
    publisher: hub,
    metrics: new GatewayMetrics(),
    own: new OwnMessages(),
    stream: (id) => (id === state.id ? state : undefined),
    countIntervalMs: 0,
    chatBudgetPerS: 1000,
    stormTickMs: 50,
    sliceSockets,
  });
  let n = 0;
  const join = (): FakeSocket => {
    const ws = new FakeSocket(hub, `ws${n++}`, state.id);
    fanout.subscribe(ws, state);
    return ws;
  };
  let seq = 0;
  const send = (...events: StreamEvent[]): void => {
    for (const e of events) state.enqueue(EncodedEvent.of(e));
    fanout.markDirty(state);
    fanout.flush(1000 + seq++ * 100);
  };
  const chat = (text: string): StreamEvent => ({
    type: 'chat',
    id: `id-${text}`,
    ts: 1,
    user: { id: 'u', name: 'u' },
    text,
  });
  return { hub, state, fanout, join, send, chat };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

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

  it('writes everything still queued at shutdown', () => {
    const { fanout, join, send, chat } = setup(1);
    const sockets = Array.from({ length: 5 }, join);
    send(chat('last words'));
    fanout.drainAll();
    expect(sockets.map((ws) => ws.texts)).toEqual(Array(5).fill(['last words']));
  });
});
