import type { StreamEvent } from './messages.js';
import { pack, unpack } from './msgpack.js';

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
