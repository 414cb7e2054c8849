export * from './bus.js';
export * from './subjects.js';
export { RELAY_KEPT_HEADER } from './relay-headers.js';
export { MemoryBroker, MemoryBus } from './memory-bus.js';
export { connectNatsBus, NatsBus, type NatsBusOptions } from './nats-bus.js';
export { connectWorkerBus, WorkerBus } from './worker-bus.js';
export { WorkerBusHost, type WorkerBusHostStats } from './worker-bus-host.js';
