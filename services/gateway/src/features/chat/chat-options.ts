import type { Bus, Subjects } from '@roar/bus';
import type { ChatEvent, ServerMessage } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { GatewayConfig } from '../../base/config.js';
import type { MessageIds } from '../../base/message-ids.js';
import type { GatewayMetrics } from '../../base/metrics.js';
import type { StallWatch } from '../../base/stall-watch.js';
import type { Tracing } from '../../base/tracing.js';
import type { PublishCheck } from '../../hooks/index.js';
import type { Holds } from '../../moderation/holds.js';
import type { BanList } from '../../moderation/rules/stream-moderation.js';
import type { HistoryWriter } from '../../streams/history-writer.js';
import type { OwnMessages } from '../../streams/own-messages.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';

/** What the chat feature is built from (a slice of the gateway's parts). */
export interface ChatOptions {
  config: Pick<GatewayConfig, 'chatRatePerS' | 'chatBurst' | 'anonymousChat'>;
  registry: StreamRegistry;
  history: HistoryWriter;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  ids: MessageIds;
  own: OwnMessages;
  holds: Holds;
  globalBans: BanList;
  /** The before-publish check: the publish hook, or the built-in rules (hooks/). */
  automod: PublishCheck | undefined;
  log: Logger;
  now: () => number;
  /** Event-loop stalls: the burst of chat queued during one is forgiven by the rate limit. */
  stalls?: StallWatch;
  /** Traces accepted messages; undefined when tracing is off. */
  tracing?: Tracing | undefined;
  /** The durable event log (replay/ `StreamLog`); undefined when it is off. */
  chatLog?: { published(stream: string, event: ChatEvent): void } | undefined;
}

/** What an accepted message is answered with (`held: true` when it waits). */
export type ChatAck = Extract<ServerMessage, { type: 'ack' }>;
