export type * from './store.js';
export { createMemoryStore } from './memory-store.js';
