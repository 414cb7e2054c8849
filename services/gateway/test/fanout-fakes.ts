// Fakes for fanout's unit tests (src/streams/fanout.test.ts): topics as uWS keeps them, sockets
// that record what they are sent, and one stream with a fanout over them and a clock to move.
import { EncodedEvent, msgpackCodec, type ServerMessage, type StreamEvent } from '@roar/protocol';
import { Fanout, type FanoutOptions } from '../src/streams/fanout.js';
import { GatewayMetrics } from '../src/base/metrics.js';
import { defaultSettings } from '../src/moderation/rules/settings.js';
import { OwnMessages } from '../src/streams/own-messages.js';
import type { Publisher } from '../src/transport/socket.js';
import { StreamState } from '../src/streams/stream-state.js';
import { SessionSocket, fakeSession } from './fake-socket.js';

/** Topics as uWS keeps them, for sockets that record what they are sent. */
export class FakeHub implements Publisher {
  readonly topics = new Map<string, Set<FakeSocket>>();

  publish(topic: string, frame: Uint8Array | string): void {
    for (const ws of this.topics.get(topic) ?? []) ws.received.push(frame as Uint8Array);
  }

  subscribers(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }
}

export class FakeSocket extends SessionSocket {
  readonly received: Uint8Array[] = [];
  readonly #hub: FakeHub;

  constructor(hub: FakeHub, id: string, stream: string) {
    super(fakeSession(id, { streams: [stream] }));
    this.#hub = hub;
  }

  /** The chat texts this socket was sent, in order. */
  get texts(): string[] {
    return this.received.flatMap((frame) => {
      const m = msgpackCodec.decodeServer(frame) as ServerMessage;
      return m.type === 'batch' ? m.events.flatMap((e) => (e.type === 'chat' ? [e.text] : [])) : [];
    });
  }

  /** Per frame received, its events as `type` or, for chat, `text`: what went out together. */
  get frames(): string[][] {
    return this.received.map((frame) => {
      const m = msgpackCodec.decodeServer(frame) as ServerMessage;
      return m.type === 'batch' ? m.events.map((e) => (e.type === 'chat' ? e.text : e.type)) : [];
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
}

/** `options`: fanout options over the defaults here (a clock, `onNews`). */
export function setup(
  sliceSockets: number,
  chatBudgetPerS = 1000,
  options: Partial<FanoutOptions> = {},
) {
  const hub = new FakeHub();
  const clock = { t: 1000 };
  const state = new StreamState('s', 0, 50, defaultSettings(['👏']), 0, () => clock.t);
  const metrics = new GatewayMetrics();
  const own = new OwnMessages();
  const fanout = new Fanout({
    publisher: hub,
    metrics,
    own,
    stream: (id) => (id === state.id ? state : undefined),
    tickMs: 50,
    now: () => clock.t,
    countIntervalMs: 0,
    chatBudgetPerS,
    stormTickMs: 50,
    sliceSockets,
    ...options,
  });
  let n = 0;
  const join = (): FakeSocket => {
    const ws = new FakeSocket(hub, `ws${n++}`, state.id);
    fanout.subscribe(ws, state);
    return ws;
  };
  let seq = 0;
  /** Events arrive and the tick after them runs, a tick and more after the one before. */
  const send = (...events: StreamEvent[]): void => {
    clock.t = 1000 + seq++ * 100;
    for (const e of events) state.enqueue(EncodedEvent.of(e));
    fanout.markDirty(state);
    fanout.flush(clock.t);
  };
  /** Events reach the stream at the clock's time, between ticks. */
  const arrive = (...events: StreamEvent[]): void => {
    for (const e of events) state.enqueue(EncodedEvent.of(e));
    fanout.markDirty(state);
  };
  /** A tick at `t`. */
  const tick = (t: number): void => {
    clock.t = t;
    fanout.flush(t);
  };
  const chat = (text: string): StreamEvent => ({
    type: 'chat',
    id: `id-${text}`,
    ts: 1,
    user: { id: 'u', name: 'u' },
    text,
  });
  return { hub, state, fanout, join, send, arrive, tick, chat, clock, metrics, own };
}

export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Event-loop turns, enough for every queued write of a small test stream. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}
