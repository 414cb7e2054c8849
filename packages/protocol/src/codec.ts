import { ErrorCode, ProtocolError } from './errors.js';
import type { EncodedEvent } from './encoded-event.js';
import type { BatchMessage, ClientMessage, JoinedMessage, ServerMessage } from './messages.js';
import { arrayHeader, concatBytes, pack, unpack } from './msgpack.js';
import { isPlainObject, parseClientMessage } from './validate.js';
import { Subprotocol, type CodecName } from './version.js';

/** An encoded frame: bytes for binary codecs, a string for text codecs. */
export type Frame = Uint8Array | string;
export type Incoming = ArrayBuffer | Uint8Array | string;

/**
 * One wire format. The server uses `decodeClient` and the `encode*` methods; clients use
 * `encodeClient` and `decodeServer`. Frames that carry events splice their pre-encoded bytes.
 */
export interface Codec {
  readonly name: CodecName;
  readonly subprotocol: string;
  /** True when frames travel as binary WebSocket messages. */
  readonly binary: boolean;
  /** Strict: throws `ProtocolError` for anything that is not a valid client message. */
  decodeClient(data: Incoming): ClientMessage;
  encodeServer(message: ServerMessage): Frame;
  /** A `batch` frame: the events of one tick of one stream. */
  encodeBatch(head: Omit<BatchMessage, 'events'>, events: readonly EncodedEvent[]): Frame;
  /** A `joined` frame whose history is spliced from stored event bytes. */
  encodeJoined(message: Omit<JoinedMessage, 'history'>, history: readonly EncodedEvent[]): Frame;
  encodeClient(message: ClientMessage): Frame;
  /** Decodes a server frame; throws `ProtocolError` when it is not an object with a `type`. */
  decodeServer(data: Incoming): ServerMessage;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function bytesOf(data: Incoming): Uint8Array {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function checkServerShape(value: unknown): ServerMessage {
  if (!isPlainObject(value) || typeof value.type !== 'string') {
    throw new ProtocolError(ErrorCode.BadFrame, 'a server frame must be an object with a type');
  }
  return value as unknown as ServerMessage;
}

class MsgpackCodec implements Codec {
  readonly name = 'msgpack' as const;
  readonly subprotocol = Subprotocol.msgpack;
  readonly binary = true;

  decodeClient(data: Incoming): ClientMessage {
    let value: unknown;
    try {
      value = unpack(bytesOf(data));
    } catch (cause) {
      throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid msgpack', { cause });
    }
    return parseClientMessage(value);
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

  encodeClient(message: ClientMessage): Frame {
    return pack(message);
  }

  decodeServer(data: Incoming): ServerMessage {
    let value: unknown;
    try {
      value = unpack(bytesOf(data));
    } catch (cause) {
      throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid msgpack', { cause });
    }
    return checkServerShape(value);
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

class JsonCodec implements Codec {
  readonly name = 'json' as const;
  readonly subprotocol = Subprotocol.json;
  readonly binary = false;

  decodeClient(data: Incoming): ClientMessage {
    return parseClientMessage(this.#parse(data));
  }

  encodeServer(message: ServerMessage): Frame {
    return JSON.stringify(message);
  }

  encodeBatch(head: Omit<BatchMessage, 'events'>, events: readonly EncodedEvent[]): Frame {
    return this.#splice(head, 'events', events);
  }

  encodeJoined(message: Omit<JoinedMessage, 'history'>, history: readonly EncodedEvent[]): Frame {
    return this.#splice(message, 'history', history);
  }

  encodeClient(message: ClientMessage): Frame {
    return JSON.stringify(message);
  }

  decodeServer(data: Incoming): ServerMessage {
    return checkServerShape(this.#parse(data));
  }

  #parse(data: Incoming): unknown {
    let text: string;
    if (typeof data === 'string') {
      text = data;
    } else {
      try {
        text = utf8.decode(data);
      } catch (cause) {
        throw new ProtocolError(ErrorCode.InvalidUtf8, 'frame is not valid UTF-8', { cause });
      }
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid JSON', { cause });
    }
  }

  #splice(head: object, key: string, events: readonly EncodedEvent[]): string {
    const headJson = JSON.stringify(head);
    let body = '';
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e === undefined) continue;
      body += i === 0 ? e.json : `,${e.json}`;
    }
    const sep = headJson.length > 2 ? ',' : '';
    return `${headJson.slice(0, -1)}${sep}${JSON.stringify(key)}:[${body}]}`;
  }
}

export const msgpackCodec: Codec = new MsgpackCodec();
export const jsonCodec: Codec = new JsonCodec();
export const codecs: Readonly<Record<CodecName, Codec>> = {
  msgpack: msgpackCodec,
  json: jsonCodec,
};

/**
 * Picks the codec for a WebSocket handshake from the client's `Sec-WebSocket-Protocol` offer.
 * No offer means msgpack (the default); an offer with none of Roar's subprotocols returns
 * `undefined`, and the upgrade is refused: a client that asked for something else would fail the
 * handshake anyway.
 */
export function negotiateCodec(offer: string | undefined): Codec | undefined {
  if (offer === undefined || offer.trim() === '') return msgpackCodec;
  for (const raw of offer.split(',')) {
    const name = raw.trim();
    if (name === Subprotocol.msgpack) return msgpackCodec;
    if (name === Subprotocol.json) return jsonCodec;
  }
  return undefined;
}
