export * from './bus.js';
export * from './subjects.js';
export { MemoryBroker, MemoryBus } from './memory-bus.js';
export { connectNatsBus, NatsBus, type NatsBusOptions } from './nats-bus.js';
