// `@roar/client`: everything in `@roar/client/json`, with a `RoarClient` that also speaks msgpack
// (its default codec). A name exported here wins over the same name from `export *`.
export * from './json.js';
export { RoarClient } from './msgpack-client.js';
