import { EncodedEvent, msgpackCodec, type ChatEvent, type ServerMessage } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { AnonymousIdentity } from '../base/anonymous.js';
import type { Session, Socket } from '../transport/socket.js';
import { OwnMessages } from './own-messages.js';

/** A socket that keeps what it is sent. */
function socket(id: string, streams = ['s']): Socket & { frames: ServerMessage[] } {
  const session: Session = {
    id,
    identity: new AnonymousIdentity(`c:${id}`),
    signIn: undefined,
    ready: true,
    backlog: undefined,
    codec: msgpackCodec,
    ip: '127.0.0.1',
    streams,
    joining: undefined,
    open: true,
    closed: false,
    frames: undefined,
    floodDrops: 0,
    badFrames: 0,
    slowSince: undefined,
  };
  const frames: ServerMessage[] = [];
  return {
    frames,
    send: (m: Uint8Array | string) => frames.push(msgpackCodec.decodeServer(m)),
    subscribe: () => true,
    unsubscribe: () => false,
    isSubscribed: () => false,
    end: () => {},
    close: () => {},
    getBufferedAmount: () => 0,
    getUserData: () => session,
    cork: (cb: () => void) => cb(),
  } as Socket & { frames: ServerMessage[] };
}

const chat = (id: string, text = id): EncodedEvent<ChatEvent> =>
  EncodedEvent.of<ChatEvent>({ type: 'chat', id, ts: 1, user: { id: 'u', name: 'u' }, text });

describe('OwnMessages', () => {
  it('sends each sender its left-out messages of a batch in one frame, in order, and takes every entry', () => {
    const own = new OwnMessages();
    const a = socket('a');
    const b = socket('b');
    const events = ['1', '2', '3', '4', '5'].map((id) => chat(id));
    own.add('1', a, 0, events[0]);
    own.add('2', b, 0, events[1]);
    own.add('3', a, 0, events[2]);
    own.add('4', a, 0, events[3]);
    // 5 came from another gateway; 4 was kept by sampling (everyone got it in the batch).
    const left = new Set([events[0]!, events[1]!, events[2]!, events[4]!]);
    const written = own.deliver('s', events, left, { type: 'batch', stream: 's', sampled: 0.2 });
    expect(written).toBe(2);
    expect(a.frames).toEqual([
      {
        type: 'batch',
        stream: 's',
        sampled: 0.2,
        events: [events[0]!.event, events[2]!.event],
      },
    ]);
    expect(b.frames).toEqual([
      { type: 'batch', stream: 's', sampled: 0.2, events: [events[1]!.event] },
    ]);
    expect(own.size).toBe(0);
  });

  it('writes nothing to a sender that left the stream or closed', () => {
    const own = new OwnMessages();
    const gone = socket('gone', []);
    const closed = socket('closed');
    closed.getUserData().open = false;
    const events = [chat('1'), chat('2')];
    own.add('1', gone, 0, events[0]);
    own.add('2', closed, 0, events[1]);
    expect(own.deliver('s', events, new Set(events), { type: 'batch', stream: 's' })).toBe(0);
    expect([...gone.frames, ...closed.frames]).toEqual([]);
  });

  it('knows its own messages back from the bus only byte for byte, and only until their fanout', () => {
    const own = new OwnMessages();
    const mine = chat('m1', 'hello');
    own.add('m1', socket('a'), 0, mine);
    // The same bytes (the memory bus) or a copy of them (NATS): the accepted form, not decoded.
    expect(own.known(mine.msgpack)).toBe(mine);
    expect(own.known(mine.msgpack.slice())).toBe(mine);
    // The same id with other bytes (re-stamped by a relay, or forged): decoded by the caller.
    expect(own.known(chat('m1', 'hellO').msgpack)).toBeUndefined();
    expect(own.known(chat('m2').msgpack)).toBeUndefined();
    own.take('m1');
    expect(own.known(mine.msgpack)).toBeUndefined();
  });
});
