import { describe, expect, it } from 'vitest';
import { EncodedEvent } from './encoded-event.js';
import type { ChatEvent } from './messages.js';
import { pack } from './msgpack.js';

const chat = (id: string, extra: Partial<ChatEvent> = {}): ChatEvent => ({
  type: 'chat',
  id,
  ts: 1_796_307_288_634,
  user: { id: 'u1', name: 'Ünïcode name' },
  text: 'what a shot',
  ...extra,
});

describe('EncodedEvent.peekChatId', () => {
  it('reads the id of a chat event as the gateway packs it, short or long', () => {
    for (const id of ['a', 'mfx3k2b7Qz9Ab2', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(200)]) {
      const bytes = EncodedEvent.of(chat(id, { origin: 'o1', seq: 7 })).msgpack;
      expect(EncodedEvent.peekChatId(bytes)).toBe(id);
    }
  });

  it('says nothing for other events, other key orders, non-ASCII ids and garbage', () => {
    const others: Uint8Array[] = [
      EncodedEvent.of({ type: 'delete', id: 'abc' }).msgpack,
      EncodedEvent.of({ type: 'clear' }).msgpack,
      pack({ id: 'abc', type: 'chat', ts: 1, user: { id: 'u', name: 'u' }, text: 't' }),
      pack({ type: 'chat', ts: 1, id: 'abc' }),
      EncodedEvent.of(chat('é-id')).msgpack,
      EncodedEvent.of(chat('')).msgpack,
      new Uint8Array(),
      Uint8Array.of(0x87, 0xa4, 0x74, 0x79, 0x70, 0x65),
    ];
    for (const bytes of others) expect(EncodedEvent.peekChatId(bytes)).toBeUndefined();
    // Cut short inside the id: no id, and no read past the end.
    const full = EncodedEvent.of(chat('mfx3k2b7Qz9Ab2')).msgpack;
    expect(EncodedEvent.peekChatId(full.subarray(0, 20))).toBeUndefined();
  });
});
