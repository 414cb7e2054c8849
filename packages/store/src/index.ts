export type * from './store.js';
export { storeConnection, storeDefaults } from './store.js';
export type * from './moderation.js';
export { composeModeration, GLOBAL_SCOPE } from './moderation.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { Keys } from './keys.js';
export {
  createRedisStore,
  RedisStore,
  StoreUnavailableError,
  type RedisStoreOptions,
} from './redis-store.js';
// Polls
export type * from './polls.js';
export { BallotOutcome, pollEnd, pollIsOpen } from './polls.js';
