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
export type * from './schedule.js';
export { MemorySchedules } from './schedule.js';
export type * from './live-state.js';
export { STATE_IDEMPOTENCY_KEYS, STATE_TOMBSTONES } from './live-state.js';
export type * from './qa.js';
export { MINE_KEPT, questionId } from './qa.js';
// Polls
export type * from './polls.js';
export { BallotOutcome, pollEnd, pollIsOpen } from './polls.js';
