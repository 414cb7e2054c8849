import { Subjects, type Bus } from '@roar/bus';
import type { GatewayConfig } from '../../base/config.js';
import { RelayBus } from './relay-bus.js';

/** The shard's bus, sending chat through the relays when `ROAR_CHAT_RELAY` is on. */
export function withChatRelay(
  bus: Bus,
  config: Pick<GatewayConfig, 'chatRelay' | 'chatRelayTimeoutMs' | 'prefix' | 'partitions'>,
): Bus {
  if (!config.chatRelay) return bus;
  return new RelayBus(bus, {
    subjects: new Subjects(config.prefix),
    partitions: config.partitions,
    timeoutMs: config.chatRelayTimeoutMs,
  });
}
