import { EncodedEvent, type ChatEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { fakeSession, RecordingSocket } from '../../test/fake-socket.js';
import { OwnMessages } from './own-messages.js';

/** A socket that keeps what it is sent. */
const socket = (id: string, streams = ['s']) => new RecordingSocket(fakeSession(id, { streams }));

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
    expect(a.sent).toEqual([
      {
        type: 'batch',
        stream: 's',
        sampled: 0.2,
        events: [events[0]!.event, events[2]!.event],
      },
    ]);
    expect(b.sent).toEqual([
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
    expect([...gone.sent, ...closed.sent]).toEqual([]);
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
