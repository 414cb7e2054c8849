import { Subjects, type Bus } from '@roar/bus';
import { Counter, type Registry } from 'prom-client';
import type { GatewayConfig } from '../base/config.js';
import { RelayBus, type RelayBusStats } from './relay-bus.js';

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

/**
 * `roar_chat_relay_total{how}`: accepted chat sent to a relay (`relayed`), directly (`direct`),
 * resent directly after a silent relay (`resent`), and left out by a live relay and shown to this
 * gateway's viewers only (`kept`). Nothing when the bus is not a `RelayBus`.
 */
export function registerRelayMetrics(bus: Bus, registry: Registry): void {
  if (!(bus instanceof RelayBus)) return;
  const last: RelayBusStats = { relayed: 0, direct: 0, resent: 0, kept: 0 };
  new Counter({
    name: 'roar_chat_relay_total',
    help: 'Accepted chat by how it left this gateway with ROAR_CHAT_RELAY on',
    labelNames: ['how'],
    registers: [registry],
    collect() {
      for (const how of Object.keys(last) as (keyof RelayBusStats)[]) {
        const value = bus.stats[how];
        if (value > last[how]) this.inc({ how }, value - last[how]);
        last[how] = value;
      }
    },
  });
}
