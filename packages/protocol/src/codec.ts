import { ErrorCode, ProtocolError } from './errors.js';
import type { EncodedEvent } from './encoded-event.js';
import type { BatchMessage, ClientMessage, JoinedMessage, ServerMessage } from './messages.js';
import { isPlainObject } from './validate-util.js';
import type { CodecName } from './version.js';

/** An encoded frame: bytes for binary codecs, a string for text codecs. */
export type Frame = Uint8Array | string;
export type Incoming = ArrayBuffer | Uint8Array | string;

/**
 * A wire format's client half: what an SDK needs, without the server's strict request parser,
 * so a client bundle leaves it out.
 */
export interface ClientCodec {
  readonly name: CodecName;
  readonly subprotocol: string;
  /** True when frames travel as binary WebSocket messages. */
  readonly binary: boolean;
  encodeClient(message: ClientMessage): Frame;
  /** Decodes a server frame; throws `ProtocolError` when it is not an object with a `type`. */
  decodeServer(data: Incoming): ServerMessage;
}

/**
 * One wire format. The server uses `decodeClient` and the `encode*` methods; clients use
 * `encodeClient` and `decodeServer` (`ClientCodec`). Frames that carry events splice their
 * pre-encoded bytes.
 */
export interface Codec extends ClientCodec {
  /** Strict: throws `ProtocolError` for anything that is not a valid client message. */
  decodeClient(data: Incoming): ClientMessage;
  encodeServer(message: ServerMessage): Frame;
  /** A `batch` frame: the events of one tick of one stream. */
  encodeBatch(head: Omit<BatchMessage, 'events'>, events: readonly EncodedEvent[]): Frame;
  /** A `joined` frame whose history is spliced from stored event bytes. */
  encodeJoined(message: Omit<JoinedMessage, 'history'>, history: readonly EncodedEvent[]): Frame;
}

const utf8Encoder = new TextEncoder();

/** The bytes of a frame, whichever form it arrived in. */
export function bytesOf(data: Incoming): Uint8Array {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Throws `ProtocolError` unless `value` has the shape every server message has. */
export function checkServerShape(value: unknown): ServerMessage {
  if (!isPlainObject(value) || typeof value.type !== 'string') {
    throw new ProtocolError(ErrorCode.BadFrame, 'a server frame must be an object with a type');
  }
  return value as unknown as ServerMessage;
}
