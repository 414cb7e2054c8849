import type { EncodedEvent } from './encoded-event.js';
import type { BatchMessage, ClientMessage, JoinedMessage, ServerMessage } from './messages.js';
import { arrayHeader, concatBytes, pack } from './msgpack.js';
import { bytesOf, type Codec, type Frame, type Incoming } from './codec.js';
import { msgpackClientCodec, unpackFrame } from './msgpack-client-codec.js';
import { unpackFlatMap } from './msgpack-flat.js';
import { parseClientMessage } from './validate.js';

class MsgpackCodec implements Codec {
  readonly name = 'msgpack' as const;
  readonly subprotocol = msgpackClientCodec.subprotocol;
  readonly binary = true;
  readonly encodeClient = msgpackClientCodec.encodeClient;
  readonly decodeServer = msgpackClientCodec.decodeServer;

  decodeClient(data: Incoming): ClientMessage {
    // Most requests (chat above all) are flat maps, read without msgpackr; the rest go to it.
    const bytes = bytesOf(data);
    return parseClientMessage(unpackFlatMap(bytes) ?? unpackFrame(bytes));
  }

  encodeServer(message: ServerMessage): Frame {
    return pack(message);
  }

  encodeBatch(head: Omit<BatchMessage, 'events'>, events: readonly EncodedEvent[]): Frame {
    return this.#splice(head, 'events', events);
  }

  encodeJoined(message: Omit<JoinedMessage, 'history'>, history: readonly EncodedEvent[]): Frame {
    return this.#splice(message, 'history', history);
  }

  /** Packs `head` as a map, then appends `key: [events...]` from the events' stored bytes. */
  #splice(head: object, key: string, events: readonly EncodedEvent[]): Uint8Array {
    const headBytes = pack(head);
    const first = headBytes[0];
    // variableMapSize gives a fixmap (0x80 | n) for the few fields a frame head has.
    if (first === undefined || (first & 0xf0) !== 0x80 || (first & 0x0f) === 0x0f) {
      throw new Error('frame head must be a map of fewer than 15 fields');
    }
    const parts: Uint8Array[] = [headBytes, pack(key), arrayHeader(events.length)];
    for (const e of events) parts.push(e.msgpack);
    const out = concatBytes(parts);
    out[0] = first + 1;
    return out;
  }
}

export const msgpackCodec: Codec = new MsgpackCodec();
