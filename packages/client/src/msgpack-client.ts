import { clientCodecs } from '@roar/protocol';
import { RoarClient as JsonRoarClient } from './client.js';
import type { CodecTable } from './options.js';

/**
 * The client of `@roar/client`: `msgpack` by default (smaller, faster frames), `json` on
 * request. Everything else is `RoarClient` of `@roar/client/json`, whose guarantees it keeps.
 */
export class RoarClient extends JsonRoarClient {
  protected static override readonly codecTable: CodecTable = {
    default: 'msgpack',
    codecs: clientCodecs,
  };
}
