import type { Bus, Subjects } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { Store, StreamSettings } from '@roar/store';
import type { Authenticator } from '../base/auth.js';
import type { GatewayConfig } from '../base/config.js';
import type { Route } from '../base/http.js';
import type { MessageIds } from '../base/message-ids.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { StreamState } from '../streams/stream-state.js';
import { adminRoutes } from './admin-api.js';
import type { AdminRoute } from './admin-router.js';
import { AdminSpec } from './admin-spec.js';
import { AdminAuth } from './authz.js';
import { ControlListener } from './control-listener.js';
import { Holds } from './holds.js';
import { ModerationService, type ModerationLog } from './service.js';
import { BanList } from './rules/stream-moderation.js';
import type { Tracing } from '../base/tracing.js';

/** The settings moderation reads: its refresh cadence, admin keys and origins. */
export type ModerationConfig = Pick<
  GatewayConfig,
  | 'historyCapacity'
  | 'chatBudgetPerS'
  | 'gatewayId'
  | 'moderationRefreshMs'
  | 'moderationRetryMs'
  | 'freshStoreGraceMs'
  | 'adminApiKeys'
  | 'allowedOrigins'
>;

export interface ModerationDeps {
  config: ModerationConfig;
  store: Store;
  bus: Bus;
  subjects: Subjects;
  registry: StreamRegistry;
  /** Held messages (built first: the registry cancels a deleted message's hold). */
  holds: Holds;
  ids: MessageIds;
  auth: Authenticator;
  log: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  defaults: StreamSettings;
  /** A stream has news for its viewers (settings, bans) in the next tick. */
  onPending: (state: StreamState) => void;
  /** An admin pinned the degradation level (null: measured again). */
  onLevel: (level: number | null) => void;
  /** This gateway's degradation level and the pinned one, for GET /degradation. */
  level: () => { level: number; pinned: number | null };
  /** Spans for admin API calls; undefined when tracing is off. */
  tracing?: Tracing | undefined;
  /** The durable event log's appender, when the log is on. */
  eventLog?: ModerationLog | undefined;
}

/** What adds routes of its own to the admin API: the stream features (`StreamFeature.routes`). */
export interface AdminRouteSource {
  routes(route: AdminRoute): Route[];
}

/** A gateway's moderation: the shared service, caches kept current, held messages, the admin API. */
export class Moderation {
  readonly holds: Holds;
  readonly globalBans = new BanList();
  readonly service: ModerationService;
  readonly #control: ControlListener;
  readonly #d: ModerationDeps;

  /** Builds the parts and starts following control events. */
  constructor(d: ModerationDeps) {
    this.holds = d.holds;
    const { config } = d;
    this.service = new ModerationService({
      store: d.store,
      bus: d.bus,
      subjects: d.subjects,
      registry: d.registry,
      holds: this.holds,
      ids: d.ids,
      defaults: d.defaults,
      historyCapacity: config.historyCapacity,
      chatBudgetPerS: config.chatBudgetPerS,
      now: d.now,
      eventLog: d.eventLog,
    });
    this.#control = new ControlListener({
      bus: d.bus,
      subjects: d.subjects,
      store: d.store,
      registry: d.registry,
      globalBans: this.globalBans,
      metrics: d.metrics,
      log: d.log,
      now: d.now,
      gatewayId: config.gatewayId,
      refreshMs: config.moderationRefreshMs,
      retryMs: config.moderationRetryMs,
      freshStoreGraceMs: config.freshStoreGraceMs,
      onPending: d.onPending,
      onLevel: d.onLevel,
    });
    this.#control.start();
    this.#d = d;
  }

  /**
   * The admin API's routes, to mount once: moderation's own and those of `features`, on one
   * router (so authentication, the OpenAPI checks, idempotency, CORS and the preflight cover all).
   */
  adminRoutes(features: AdminRouteSource): Route[] {
    const d = this.#d;
    return adminRoutes({
      service: this.service,
      auth: new AdminAuth(d.config.adminApiKeys, d.auth),
      store: d.store,
      registry: d.registry,
      spec: AdminSpec.load(),
      allowedOrigins: d.config.allowedOrigins,
      level: d.level,
      log: d.log,
      tracing: d.tracing,
      featureRoutes: (route) => features.routes(route),
    });
  }

  /**
   * True once global bans are loaded from the store (and its generation checked): before that a
   * gateway must not take viewers, and refuses non-privileged chat (see `checkChat`).
   */
  get ready(): boolean {
    return this.globalBans.loaded;
  }

  stop(): void {
    this.#control.stop();
    this.holds.close();
  }
}
