import { checkServerShape, type ClientCodec, type Incoming } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { Subprotocol } from './version.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The value of a JSON frame; `ProtocolError` for bytes that are not UTF-8, or not JSON. */
export function parseJsonFrame(data: Incoming): unknown {
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

/** JSON's client half (`jsonCodec` is the whole): what the SDK's JSON entry bundles. */
export const jsonClientCodec: ClientCodec = {
  name: 'json',
  subprotocol: Subprotocol.json,
  binary: false,
  encodeClient: (message) => JSON.stringify(message),
  decodeServer: (data) => checkServerShape(parseJsonFrame(data)),
};
