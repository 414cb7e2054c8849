import type { Bus, Subjects } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import { defaultSettings } from '../moderation/rules/settings.js';
import type { Authenticator } from '../base/auth.js';
import type { GatewayConfig } from '../base/config.js';
import type { Route } from '../base/http.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Tracing } from '../base/tracing.js';
import { metricsAllowed } from '../base/metrics-auth.js';
import { AdminSpec } from '../moderation/admin-spec.js';
import { AdminAuth } from '../moderation/authz.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { EventCalendar, type SettingsChanger } from './calendar.js';
import { scaleGauges, scaleRoute, type ScaleSignalOptions } from './scale-signal.js';
import { scheduleRoutes } from './schedule-routes.js';

export interface ScheduledDeps {
  config: Pick<
    GatewayConfig,
    | 'gatewayId'
    | 'adminApiKeys'
    | 'allowedOrigins'
    | 'metricsToken'
    | 'moderationRefreshMs'
    | 'moderationRetryMs'
    | 'scheduleWarmLeadMs'
    | 'scheduleScaleLeadMs'
    | 'scheduleViewersPerGateway'
    | 'reactions'
  >;
  store: Store;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
  tracing?: Tracing | undefined;
}

/**
 * Scheduled events on one gateway (issue 18): the calendar that warms streams and switches the
 * planned chat policy, the scale signal (gauges and `GET /v1/scale`), and the schedule's admin
 * routes.
 */
export class Scheduled {
  readonly calendar: EventCalendar;
  /** To mount before the moderation routes (their preflight answers `/admin/v1/*`). */
  readonly routes: Route[];

  /**
   * `registry` holds warmed streams; `settings` is the moderators' settings path, which the
   * planned chat policy takes; `auth` checks admin callers.
   */
  constructor(
    d: ScheduledDeps,
    registry: StreamRegistry,
    settings: SettingsChanger,
    auth: Authenticator,
  ) {
    const { config } = d;
    this.calendar = new EventCalendar({
      store: d.store,
      bus: d.bus,
      subjects: d.subjects,
      holder: registry,
      settings,
      defaults: defaultSettings(config.reactions),
      gatewayId: config.gatewayId,
      log: d.log,
      now: d.now,
      refreshMs: config.moderationRefreshMs,
      retryMs: config.moderationRetryMs,
    });
    const scale: ScaleSignalOptions = {
      viewersPerGateway: config.scheduleViewersPerGateway,
      leadMs: config.scheduleScaleLeadMs,
      events: () => this.calendar.events(),
      now: d.now,
    };
    scaleGauges(d.metrics.registry, scale, () => registry.warmed().size);
    this.routes = [
      ...scheduleRoutes({
        auth: new AdminAuth(config.adminApiKeys, auth),
        store: d.store,
        spec: AdminSpec.load(),
        allowedOrigins: config.allowedOrigins,
        log: d.log,
        tracing: d.tracing,
        bus: d.bus,
        subjects: d.subjects,
        calendar: this.calendar,
        limits: { warmLeadMs: config.scheduleWarmLeadMs },
        now: d.now,
      }),
      scaleRoute(scale, (authorization) => metricsAllowed(config.metricsToken, authorization)),
    ];
    this.calendar.start();
  }

  stop(): void {
    this.calendar.stop();
  }
}
