// The protocol without msgpack (`@roar/protocol/core`): types, validation, codes and the JSON
// codec. A JSON-only client imports this and never pulls msgpackr into its bundle.
export * from './errors.js';
export * from './close-codes.js';
export * from './backoff.js';
export * from './limits.js';
export * from './version.js';
export type * from './messages.js';
export * from './text.js';
export * from './display.js';
export * from './validate.js';
export type { EncodedEvent } from './encoded-event.js';
export type { ClientCodec, Codec, Frame, Incoming } from './codec.js';
export { jsonCodec } from './json-codec.js';
export { jsonClientCodec } from './json-client-codec.js';
export * from './settings.js';
export * from './roles.js';
export * from './widgets.js';
// Polls
export * from './polls.js';
