import type { Bus, Subjects } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { Store, StreamSettings } from '@roar/store';
import type { Authenticator } from '../base/auth.js';
import type { GatewayConfig } from '../base/config.js';
import type { HistoryWriter } from '../streams/history-writer.js';
import type { Route } from '../base/http.js';
import type { MessageIds } from '../base/message-ids.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { StreamState } from '../streams/stream-state.js';
import { adminRoutes } from './admin-api.js';
import { AdminSpec } from './admin-spec.js';
import { AdminAuth } from './authz.js';
import { RulesAutoMod, WebhookAutoMod, type AutoMod } from './rules/automod.js';
import { ControlListener } from './control-listener.js';
import { Holds } from './holds.js';
import { ModerationService } from './service.js';
import { BanList } from './rules/stream-moderation.js';
import type { Tracing } from '../base/tracing.js';

export interface ModerationDeps {
  config: GatewayConfig;
  store: Store;
  bus: Bus;
  subjects: Subjects;
  history: HistoryWriter;
  ids: MessageIds;
  auth: Authenticator;
  log: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  defaults: StreamSettings;
  /** Spans for admin API calls; undefined when tracing is off. */
  tracing?: Tracing | undefined;
}

/** A gateway's moderation: the shared service, caches kept current, held messages, the admin API. */
export class Moderation {
  readonly holds: Holds;
  readonly globalBans = new BanList();
  readonly automod: AutoMod | undefined;
  #service: ModerationService | undefined;
  #control: ControlListener | undefined;
  readonly #d: ModerationDeps;

  constructor(deps: ModerationDeps) {
    this.#d = deps;
    this.holds = new Holds(deps.store, deps.bus, deps.subjects, deps.history, deps.log);
    const { config } = deps;
    if (config.automod === 'rules') this.automod = new RulesAutoMod();
    else if (config.automod === 'webhook' && config.automodUrl) {
      this.automod = new WebhookAutoMod({
        url: config.automodUrl,
        timeoutMs: config.automodTimeoutMs,
        failMode: config.automodFail,
        onFailure: (error) => deps.log.warn('automod check failed', { error }),
      });
    }
  }

  /**
   * True once global bans are loaded from the store (and its generation checked): before that a
   * gateway must not take viewers, and refuses non-privileged chat (see `checkChat`).
   */
  get ready(): boolean {
    return this.globalBans.loaded;
  }

  get service(): ModerationService {
    if (!this.#service) throw new Error('moderation is not attached to a registry yet');
    return this.#service;
  }

  /** Wires the parts that need the stream registry, and starts following control events. */
  attach(
    registry: StreamRegistry,
    hooks: {
      onPending: (state: StreamState) => void;
      onLevel: (level: number | null) => void;
      level: () => { level: number; pinned: number | null };
    },
  ): Route[] {
    const d = this.#d;
    this.#service = new ModerationService({
      store: d.store,
      bus: d.bus,
      subjects: d.subjects,
      registry,
      holds: this.holds,
      ids: d.ids,
      defaults: d.defaults,
      historyCapacity: d.config.historyCapacity,
      chatBudgetPerS: d.config.chatBudgetPerS,
      now: d.now,
    });
    this.#control = new ControlListener({
      bus: d.bus,
      subjects: d.subjects,
      store: d.store,
      registry,
      globalBans: this.globalBans,
      metrics: d.metrics,
      log: d.log,
      now: d.now,
      gatewayId: d.config.gatewayId,
      refreshMs: d.config.moderationRefreshMs,
      retryMs: d.config.moderationRetryMs,
      freshStoreGraceMs: d.config.freshStoreGraceMs,
      onPending: hooks.onPending,
      onLevel: hooks.onLevel,
    });
    this.#control.start();
    return adminRoutes({
      service: this.#service,
      auth: new AdminAuth(d.config.adminApiKeys, d.auth),
      store: d.store,
      registry,
      spec: AdminSpec.load(),
      allowedOrigins: d.config.allowedOrigins,
      level: hooks.level,
      log: d.log,
      tracing: d.tracing,
    });
  }

  stop(): void {
    this.#control?.stop();
    this.holds.close();
  }
}
