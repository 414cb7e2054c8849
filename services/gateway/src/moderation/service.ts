import type { Bus, Subjects } from '@roar/bus';
import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  validateChatText,
  viewersText,
  type AnnouncementEvent,
  type ChatEvent,
  type SettingsPatch,
  type StreamEvent,
  type ViewerCount,
} from '@roar/protocol';
import {
  GLOBAL_SCOPE,
  type AuditEntry,
  type Ban,
  type HeldMessage,
  type Store,
  type StreamSettings,
} from '@roar/store';
import type { MessageIds } from '../base/message-ids.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { requireAdmin, requireModerator, type Actor } from './actor.js';
import { encodeControl, type ControlEvent } from './control.js';
import type { Holds } from './holds.js';
import { applyPatch, effectiveSettings } from './rules/settings.js';

const RATES_STALE_MS = 15_000;

export interface ModerationServiceOptions {
  store: Store;
  bus: Bus;
  subjects: Subjects;
  registry: StreamRegistry;
  holds: Holds;
  ids: MessageIds;
  defaults: StreamSettings;
  historyCapacity: number;
  chatBudgetPerS: number;
  now: () => number;
  /** Appends each action to the durable event log (replay/ `StreamLog`), when it is on. */
  eventLog?: ModerationLog | undefined;
}

/** Where moderation actions are appended, as audited (`replay/stream-log.ts` implements it). */
export interface ModerationLog {
  action(
    scope: string,
    action: string,
    by: string,
    at: number,
    target?: string,
    reason?: string,
    details?: Record<string, unknown>,
  ): void;
}

export interface StreamStatsView {
  stream: string;
  viewers: ViewerCount;
  chatPerS: number | null;
  reactionsPerS: number | null;
  /** Fraction of chat each viewer gets: 1 when chat is under the per-viewer budget. */
  sampling: number | null;
}

/**
 * Every moderation action, shared by the admin API and moderators' WebSocket commands: checks
 * the actor's right, writes the truth to the store, tells every gateway (control events) and
 * every viewer (stream events), and records the action in the audit log. An action whose store
 * write fails is not announced and not audited: nothing is half-applied.
 */
export class ModerationService {
  readonly #o: ModerationServiceOptions;

  constructor(options: ModerationServiceOptions) {
    this.#o = options;
  }

  async deleteMessage(actor: Actor, stream: string, id: string, reason?: string): Promise<void> {
    requireModerator(actor, stream);
    const inHistory = await this.#o.store.history.remove(stream, id);
    const held = await this.#o.holds.drop(stream, id);
    const live = this.#o.registry.get(stream)?.recent.after(id) !== undefined;
    if (!inHistory && !held && !live)
      throw new RoarError(ErrorCode.NotFound, `no message ${id} in ${stream}`);
    this.#event(stream, { type: 'delete', id });
    await this.#audit(actor, stream, 'delete', id, reason);
  }

  async clear(actor: Actor, stream: string, reason?: string): Promise<void> {
    requireModerator(actor, stream);
    await this.#o.store.history.clear(stream);
    this.#event(stream, { type: 'clear' });
    await this.#audit(actor, stream, 'clear', undefined, reason);
  }

  async pin(actor: Actor, stream: string, id: string): Promise<ChatEvent> {
    requireModerator(actor, stream);
    const entries = await this.#o.store.history.recent(stream, this.#o.historyCapacity);
    const entry = entries.find((e) => e.id === id);
    if (!entry) throw new RoarError(ErrorCode.NotFound, `no message ${id} in ${stream}'s history`);
    await this.#o.store.moderation.setPin(stream, entry);
    const message = EncodedEvent.fromMsgpack<ChatEvent>(entry.bytes).event;
    this.#event(stream, { type: 'pin', message });
    await this.#audit(actor, stream, 'pin', id);
    return message;
  }

  async unpin(actor: Actor, stream: string): Promise<void> {
    requireModerator(actor, stream);
    await this.#o.store.moderation.setPin(stream, null);
    this.#event(stream, { type: 'pin', message: null });
    await this.#audit(actor, stream, 'unpin');
  }

  async announce(actor: Actor, stream: string, text: string): Promise<AnnouncementEvent> {
    requireModerator(actor, stream);
    const now = this.#o.now();
    const event: AnnouncementEvent = {
      type: 'announcement',
      id: this.#o.ids.next(now),
      ts: now,
      // Over the WebSocket too: one line, no control characters or bidi overrides (the admin
      // API's document says the same and refuses such text before it gets here).
      text: validateChatText(text),
    };
    this.#event(stream, event);
    await this.#audit(actor, stream, 'announce', event.id, undefined, { text });
    return event;
  }

  /** Bans in a stream, or everywhere with GLOBAL_SCOPE; `seconds` makes it a timeout. */
  async ban(
    actor: Actor,
    scope: string,
    userId: string,
    reason: string | undefined,
    seconds?: number,
  ): Promise<Ban> {
    if (scope === GLOBAL_SCOPE) requireAdmin(actor);
    else requireModerator(actor, scope);
    const now = this.#o.now();
    const ban: Ban = {
      userId,
      scope,
      until: seconds === undefined ? null : now + seconds * 1000,
      reason: reason ?? '',
      by: actor.id,
      at: now,
    };
    await this.#o.store.moderation.putBan(ban);
    this.#control({ kind: 'ban', scope, userId, until: ban.until });
    await this.#audit(
      actor,
      scope,
      seconds === undefined ? 'ban' : 'timeout',
      userId,
      reason,
      seconds === undefined ? undefined : { seconds },
    );
    return ban;
  }

  async unban(actor: Actor, scope: string, userId: string): Promise<void> {
    if (scope === GLOBAL_SCOPE) requireAdmin(actor);
    else requireModerator(actor, scope);
    if (!(await this.#o.store.moderation.removeBan(scope, userId))) {
      throw new RoarError(ErrorCode.NotFound, `${userId} is not banned here`);
    }
    this.#control({ kind: 'unban', scope, userId });
    await this.#audit(actor, scope, 'unban', userId);
  }

  async listBans(actor: Actor, scope: string): Promise<Ban[]> {
    if (scope === GLOBAL_SCOPE) requireAdmin(actor);
    else requireModerator(actor, scope);
    return this.#o.store.moderation.listBans(scope, this.#o.now());
  }

  async settings(actor: Actor, stream: string): Promise<StreamSettings> {
    requireModerator(actor, stream);
    return effectiveSettings(this.#o.defaults, await this.#o.store.moderation.getSettings(stream));
  }

  async updateSettings(
    actor: Actor,
    stream: string,
    patch: SettingsPatch,
  ): Promise<StreamSettings> {
    requireModerator(actor, stream);
    const overrides = applyPatch(await this.#o.store.moderation.getSettings(stream), patch);
    await this.#o.store.moderation.putSettings(stream, overrides);
    this.#control({ kind: 'settings', stream, overrides });
    await this.#audit(actor, stream, 'settings', undefined, undefined, { ...patch });
    return effectiveSettings(this.#o.defaults, overrides);
  }

  async held(actor: Actor, stream: string): Promise<HeldMessage[]> {
    requireModerator(actor, stream);
    return this.#o.store.moderation.listHeld(stream);
  }

  async approve(actor: Actor, stream: string, id: string): Promise<ChatEvent> {
    requireModerator(actor, stream);
    const message = await this.#o.holds.release(stream, id);
    if (!message) throw new RoarError(ErrorCode.NotFound, `no held message ${id} in ${stream}`);
    await this.#audit(actor, stream, 'approve', id);
    return EncodedEvent.fromMsgpack<ChatEvent>(message.bytes).event;
  }

  async deny(actor: Actor, stream: string, id: string, reason?: string): Promise<void> {
    requireModerator(actor, stream);
    if (!(await this.#o.holds.drop(stream, id)))
      throw new RoarError(ErrorCode.NotFound, `no held message ${id} in ${stream}`);
    await this.#audit(actor, stream, 'deny', id, reason);
  }

  async audit(actor: Actor, scope: string, limit: number, before?: string): Promise<AuditEntry[]> {
    if (scope === GLOBAL_SCOPE) requireAdmin(actor);
    else requireModerator(actor, scope);
    return this.#o.store.moderation.listAudit(scope, limit, before);
  }

  async stats(actor: Actor, stream: string): Promise<StreamStatsView> {
    requireModerator(actor, stream);
    const held = this.#o.registry.get(stream);
    const totals = held?.viewerCount() ??
      (await this.#o.store.stats.totals(stream)) ?? { total: 0, text: viewersText(0) };
    const stored = await this.#o.store.stats.rates(stream);
    // The aggregator refreshes non-zero rates every 5 s; an old non-zero one is from an aggregator
    // that stopped, so it is unknown rather than still true.
    const fresh =
      stored &&
      (stored.chatPerS + stored.reactionsPerS === 0 || this.#o.now() - stored.at < RATES_STALE_MS);
    const rates = fresh ? stored : undefined;
    const chatPerS = rates?.chatPerS ?? null;
    return {
      stream,
      viewers: totals,
      chatPerS,
      reactionsPerS: rates?.reactionsPerS ?? null,
      sampling:
        chatPerS === null ? null : Math.min(1, this.#o.chatBudgetPerS / Math.max(chatPerS, 1e-9)),
    };
  }

  /** Pins the degradation level of every gateway (null unpins). */
  async setLevel(actor: Actor, level: number | null): Promise<void> {
    requireAdmin(actor);
    this.#control({ kind: 'level', level });
    await this.#audit(actor, GLOBAL_SCOPE, 'level', undefined, undefined, { level });
  }

  #event(stream: string, event: StreamEvent): void {
    this.#o.bus.publish(this.#o.subjects.stream(stream, 'mod'), EncodedEvent.of(event).msgpack);
  }

  #control(event: ControlEvent): void {
    this.#o.bus.publish(this.#o.subjects.control(), encodeControl(event));
  }

  async #audit(
    actor: Actor,
    scope: string,
    action: string,
    target?: string,
    reason?: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    const at = this.#o.now();
    // Logged once the action took effect (its store write succeeded), as it is audited.
    this.#o.eventLog?.action(scope, action, actor.id, at, target, reason, details);
    await this.#o.store.moderation.appendAudit({
      at,
      scope,
      actor: actor.id,
      action,
      ...(target !== undefined ? { target } : {}),
      ...(reason !== undefined && reason !== '' ? { reason } : {}),
      ...(details !== undefined ? { details } : {}),
    });
  }
}
