import type { StreamEvent } from './messages.js';
import { pack, unpack } from './msgpack.js';

/** `type: 'chat', id:` as msgpack packs them: fixstr keys and value, after the map header. */
const CHAT_HEAD = Uint8Array.of(
  0xa4,
  0x74,
  0x79,
  0x70,
  0x65,
  0xa4,
  0x63,
  0x68,
  0x61,
  0x74,
  0xa2,
  0x69,
  0x64,
);

/**
 * A stream event encoded once. A chat message is packed by the gateway that accepted it, crosses
 * the bus and sits in history as these same bytes, and is spliced into every frame that carries
 * it: it is never decoded and re-encoded on the way. The JSON form is made at most once, and only
 * when a JSON client needs it.
 */
export class EncodedEvent<E extends StreamEvent = StreamEvent> {
  #event: E | undefined;
  #msgpack: Uint8Array | undefined;
  #json: string | undefined;

  private constructor(event: E | undefined, msgpack: Uint8Array | undefined) {
    this.#event = event;
    this.#msgpack = msgpack;
  }

  static of<E extends StreamEvent>(event: E): EncodedEvent<E> {
    return new EncodedEvent(event, undefined);
  }

  /** Wraps bytes produced by `msgpack` of a trusted peer (another gateway, the store). */
  static fromMsgpack<E extends StreamEvent = StreamEvent>(bytes: Uint8Array): EncodedEvent<E> {
    return new EncodedEvent<E>(undefined, bytes);
  }

  /**
   * The id of a chat event packed by `of(...).msgpack` (its keys `type`, `id` first, as the
   * gateway builds it), read from the bytes without decoding them; undefined for any other
   * layout. A hint only: whoever acts on it must check the bytes are the ones it expects.
   */
  static peekChatId(bytes: Uint8Array): string | undefined {
    if (bytes.length < CHAT_HEAD.length + 2 || (bytes[0]! & 0xf0) !== 0x80) return undefined;
    for (let i = 0; i < CHAT_HEAD.length; i++) if (bytes[i + 1] !== CHAT_HEAD[i]) return undefined;
    let at = CHAT_HEAD.length + 1;
    const head = bytes[at++]!;
    // fixstr (ids are about 20 ASCII characters), or str8 should they ever grow past 31.
    const length = (head & 0xe0) === 0xa0 ? head & 0x1f : head === 0xd9 ? bytes[at++]! : -1;
    if (length <= 0 || at + length > bytes.length) return undefined;
    for (let i = at; i < at + length; i++) if (bytes[i]! >= 0x80) return undefined;
    return String.fromCharCode.apply(null, bytes.subarray(at, at + length) as unknown as number[]);
  }

  get event(): E {
    this.#event ??= unpack(this.msgpack) as E;
    return this.#event;
  }

  get msgpack(): Uint8Array {
    this.#msgpack ??= pack(this.#event);
    return this.#msgpack;
  }

  get json(): string {
    this.#json ??= JSON.stringify(this.event);
    return this.#json;
  }
}
