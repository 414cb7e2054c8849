import { connectJetStreamLog } from './jetstream-log.js';
import type { EventLog } from './log.js';
import { MemoryLog } from './memory-log.js';

/** The settings a process reads for its log (`@roar/runtime`'s `EventLogSettings`). */
export interface OpenLogSettings {
  driver: 'off' | 'memory' | 'jetstream';
  maxAgeS: number;
  maxMb: number;
  /** Copies of the JetStream stream (`jetstream` only). */
  replicas: number;
}

/**
 * Opens the configured log: undefined when `off`; `jetstream` connects to `servers` (and returns
 * a degraded log, still trying, when JetStream is not there yet).
 */
export async function openEventLog(
  settings: OpenLogSettings,
  nats: { servers: string[]; prefix: string; name: string },
): Promise<EventLog | undefined> {
  const retention = { maxAgeMs: settings.maxAgeS * 1000, maxBytes: settings.maxMb * (1 << 20) };
  switch (settings.driver) {
    case 'off':
      return undefined;
    case 'memory':
      return new MemoryLog({ retention });
    case 'jetstream':
      return connectJetStreamLog({ ...nats, retention, replicas: settings.replicas });
  }
}
