export * from './events.js';
export * from './log.js';
export * from './subjects.js';
export { MemoryLog, type MemoryLogOptions } from './memory-log.js';
export { connectJetStreamLog, JetStreamLog, type JetStreamLogOptions } from './jetstream-log.js';
export { registerLogMetrics } from './metrics.js';
export { openEventLog, type OpenLogSettings } from './open.js';
export {
  addReadConsumer,
  dropReadConsumer,
  ensureStream,
  readApis,
  tryUntilAnswered,
  UNANSWERED_TRY_TIMEOUTS_MS,
  type ReadApis,
} from './jetstream-stream.js';
