export * from './bus.js';
export * from './subjects.js';
export { MemoryBroker, MemoryBus } from './memory-bus.js';
