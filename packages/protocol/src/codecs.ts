import type { ClientCodec, Codec } from './codec.js';
import { jsonClientCodec } from './json-client-codec.js';
import { jsonCodec } from './json-codec.js';
import { msgpackClientCodec } from './msgpack-client-codec.js';
import { msgpackCodec } from './msgpack-codec.js';
import { Subprotocol, type CodecName } from './version.js';

export const codecs: Readonly<Record<CodecName, Codec>> = {
  msgpack: msgpackCodec,
  json: jsonCodec,
};

/** The client halves of the codecs: what an SDK bundles (no server-side request parser). */
export const clientCodecs: Readonly<Record<CodecName, ClientCodec>> = {
  msgpack: msgpackClientCodec,
  json: jsonClientCodec,
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
