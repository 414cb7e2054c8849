export type * from './store.js';
export { createMemoryStore } from './memory-store.js';
export { Keys } from './keys.js';
export {
  createRedisStore,
  RedisStore,
  StoreUnavailableError,
  type RedisStoreOptions,
} from './redis-store.js';
