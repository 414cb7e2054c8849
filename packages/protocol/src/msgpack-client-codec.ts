import { bytesOf, checkServerShape, type ClientCodec, type Incoming } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { pack, unpack } from './msgpack.js';
import { Subprotocol } from './version.js';

/** The value of a msgpack frame; `ProtocolError` for bytes that are not msgpack. */
export function unpackFrame(data: Incoming): unknown {
  try {
    return unpack(bytesOf(data));
  } catch (cause) {
    throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid msgpack', { cause });
  }
}

/** msgpack's client half (`msgpackCodec` is the whole): what the SDK bundles. */
export const msgpackClientCodec: ClientCodec = {
  name: 'msgpack',
  subprotocol: Subprotocol.msgpack,
  binary: true,
  encodeClient: (message) => pack(message),
  decodeServer: (data) => checkServerShape(unpackFrame(data)),
};
