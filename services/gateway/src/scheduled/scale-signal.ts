import type { ScheduledEvent } from '@roar/store';
import { Gauge, type Registry } from 'prom-client';
import { json, jsonError, type Route } from '../base/http.js';
import { expectedViewersAt, phaseOf } from './plan.js';

export interface ScaleSignalOptions {
  /** Viewers one gateway serves at its planned load (`ROAR_SCHEDULE_VIEWERS_PER_GATEWAY`). */
  viewersPerGateway: number;
  /** The ramp reaches the peak this long before the start (`ROAR_SCHEDULE_SCALE_LEAD_S`). */
  leadMs: number;
  events: () => ScheduledEvent[];
  now: () => number;
}

/** What the scale endpoint answers. */
export interface ScaleView {
  at: string;
  expectedViewers: number;
  gatewaysNeeded: number;
  viewersPerGateway: number;
  events: { stream: string; phase: string; expectedViewers: number; startAt: string }[];
}

/**
 * The capacity the schedule needs now: each event's ramp (`expectedViewersAt`) summed, over the
 * viewers one gateway serves. It counts only scheduled viewers: the fleet's floor, which a CPU
 * autoscaler still raises for the unscheduled. Every gateway has the same schedule, so every
 * gateway answers the same (an HPA or KEDA may ask any of them).
 */
export function scaleView(o: ScaleSignalOptions): ScaleView {
  const now = o.now();
  const events = o.events().map((e) => ({
    stream: e.stream,
    phase: phaseOf(e, now),
    expectedViewers: expectedViewersAt(e, now, o.leadMs),
    startAt: new Date(e.startAt).toISOString(),
  }));
  const expectedViewers = events.reduce((sum, e) => sum + e.expectedViewers, 0);
  return {
    at: new Date(now).toISOString(),
    expectedViewers,
    gatewaysNeeded: Math.ceil(expectedViewers / o.viewersPerGateway),
    viewersPerGateway: o.viewersPerGateway,
    events: events.filter((e) => e.phase !== 'ended'),
  };
}

/** `roar_scheduled_*` gauges, computed when scraped. */
export function scaleGauges(registry: Registry, o: ScaleSignalOptions, warm: () => number): void {
  new Gauge({
    name: 'roar_scheduled_expected_viewers',
    help: 'Viewers the schedule expects now (each event ramps from warm-up to its peak)',
    registers: [registry],
    collect() {
      this.set(scaleView(o).expectedViewers);
    },
  });
  new Gauge({
    name: 'roar_scheduled_gateways_needed',
    help: 'Gateways the schedule needs now: expected viewers over ROAR_SCHEDULE_VIEWERS_PER_GATEWAY',
    registers: [registry],
    collect() {
      this.set(scaleView(o).gatewaysNeeded);
    },
  });
  new Gauge({
    name: 'roar_scheduled_warm_streams',
    help: 'Streams this gateway holds for a scheduled event (no viewer counted for them)',
    registers: [registry],
    collect() {
      this.set(warm());
    },
  });
}

/**
 * `GET /v1/scale`: the scale signal as JSON, for KEDA's metrics-api scaler (`valueLocation:
 * gatewaysNeeded`) or any poller; guarded like `/metrics` by `allowed`.
 */
export function scaleRoute(
  o: ScaleSignalOptions,
  allowed: (auth: string | undefined) => boolean,
): Route {
  return {
    method: 'get',
    pattern: '/v1/scale',
    handler: (req) => {
      if (!allowed(req.header('authorization'))) {
        return jsonError(
          401,
          'unauthenticated',
          'GET /v1/scale needs Authorization: Bearer <ROAR_METRICS_TOKEN>',
          { 'www-authenticate': 'Bearer realm="metrics"' },
        );
      }
      return json(200, scaleView(o), { 'cache-control': 'no-store' });
    },
  };
}
