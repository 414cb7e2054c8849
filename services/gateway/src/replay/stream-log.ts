import type { EventLog, LogEventData, ModerationActionName } from '@roar/log';
import { EncodedEvent, isStreamId, type ChatEvent } from '@roar/protocol';
import type { ModerationLog } from '../moderation/service.js';

/** Audit actions that become `moderation.action` events (delete and clear have their own). */
const ACTIONS = new Set<string>([
  'ban',
  'unban',
  'timeout',
  'pin',
  'unpin',
  'announce',
  'settings',
  'approve',
  'deny',
] satisfies ModerationActionName[]);

/**
 * What a gateway appends to the durable log, in the log's schema: chat published (by the gateway
 * that accepted it, once, where history is written) and moderation actions (where the moderation
 * service acts, once its store write succeeded). Appending costs a queue push; see `EventLog`.
 */
export class StreamLog implements ModerationLog {
  readonly #log: EventLog;

  constructor(log: EventLog) {
    this.#log = log;
  }

  /** A chat message was published. */
  published(stream: string, event: ChatEvent): void {
    const { id, ts, user, text } = event;
    this.#log.append(stream, { type: 'chat.published', id, ts, data: { id, user, text } });
  }

  /** A held message was released (its encoded event, as published). */
  publishedBytes(stream: string, bytes: Uint8Array): void {
    this.published(stream, EncodedEvent.fromMsgpack<ChatEvent>(bytes).event);
  }

  /**
   * A moderation action as the audit log records it. Actions in the global scope (global bans,
   * the degradation level) belong to no stream and are not appended.
   */
  action(
    scope: string,
    action: string,
    by: string,
    at: number,
    target?: string,
    reason?: string,
    details?: Record<string, unknown>,
  ): void {
    if (!isStreamId(scope)) return;
    const id = `m.${scope}.${at.toString(36)}.${action}.${target ?? ''}`;
    const why = reason ? { reason } : {};
    if (action === 'delete' && target !== undefined) {
      this.#log.append(scope, {
        type: 'chat.deleted',
        id,
        ts: at,
        data: { id: target, by, ...why },
      });
    } else if (action === 'clear') {
      this.#log.append(scope, { type: 'chat.cleared', id, ts: at, data: { by, ...why } });
    } else if (ACTIONS.has(action)) {
      const data: LogEventData['moderation.action'] = {
        action: action as ModerationActionName,
        by,
        ...(target !== undefined ? { target } : {}),
        ...why,
        ...(details !== undefined ? { detail: details } : {}),
      };
      if (action === 'ban') data.until = null;
      if (action === 'timeout' && typeof details?.seconds === 'number')
        data.until = at + details.seconds * 1000;
      this.#log.append(scope, { type: 'moderation.action', id, ts: at, data });
    }
  }
}
