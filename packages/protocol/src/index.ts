// Everything in `./core.js`, plus msgpack: the default codec, the codec table and the event bytes.
export * from './core.js';
export { EncodedEvent } from './encoded-event.js';
export { msgpackCodec } from './msgpack-codec.js';
export { msgpackClientCodec } from './msgpack-client-codec.js';
export { clientCodecs, codecs, negotiateCodec } from './codecs.js';
export { pack, unpack } from './msgpack.js';
export * from './report.js';
