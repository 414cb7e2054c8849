import { ErrorCode, RoarError, isStreamId, parseSettingsPatch } from '@roar/protocol';
import type { ScheduledEvent, StreamSettings } from '@roar/store';

/** More viewers than this on one stream is a typo, not a match (the design's peak is 60M). */
export const MAX_EXPECTED_VIEWERS = 100_000_000;
/** How far ahead an event may be scheduled. */
export const MAX_LEAD_MS = 366 * 24 * 3_600_000;
/** Longest event (start to planned end), and the longest warm-up before its start. */
export const MAX_EVENT_MS = 24 * 3_600_000;
export const MAX_WARM_LEAD_MS = 12 * 3_600_000;
/** Without a planned end, the stream is held this long after its start. */
export const HOLD_WITHOUT_END_MS = 3 * 3_600_000;
/** Most gateways a plan may name. */
export const MAX_NAMED_GATEWAYS = 1000;

const GATEWAY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = new Set(['startAt', 'warmAt', 'endAt', 'expectedViewers', 'policy', 'gateways']);

export interface PlanLimits {
  /** Warm-up begins this long before the start unless the plan says when. */
  warmLeadMs: number;
}

const invalid = (message: string): RoarError => new RoarError(ErrorCode.InvalidField, message);

/** An RFC 3339 time with its offset, as ms since the epoch. */
function time(value: unknown, field: string): number {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/i.test(value)) {
    throw invalid(
      `${field} must be an RFC 3339 date-time with an offset, e.g. 2026-03-01T14:00:00Z`,
    );
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid(`${field} is not a valid date-time`);
  return ms;
}

/**
 * Checks a `PUT /streams/{stream}/schedule` body against the clock: the start must be ahead
 * (and within a year), warm-up before the start (a warm-up time already passed means "now"; an
 * omitted one is `warmLeadMs` before the start), the end after the start and within a day of
 * it, the peak a whole number from 1 to `MAX_EXPECTED_VIEWERS`, the policy a valid settings
 * change. Throws `invalid_field` (or `invalid_stream`) naming the field.
 */
export function parsePlan(
  stream: string,
  body: Record<string, unknown>,
  now: number,
  limits: PlanLimits,
  by: string,
): ScheduledEvent {
  if (!isStreamId(stream)) throw new RoarError(ErrorCode.InvalidStream, `invalid stream id`);
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) throw invalid(`unknown field ${key}`);
  const startAt = time(body.startAt, 'startAt');
  if (startAt <= now) throw invalid('startAt is in the past');
  if (startAt > now + MAX_LEAD_MS) throw invalid('startAt is more than a year ahead');
  let warmAt =
    body.warmAt === undefined ? startAt - limits.warmLeadMs : time(body.warmAt, 'warmAt');
  if (warmAt > startAt) throw invalid('warmAt is after startAt');
  if (startAt - warmAt > MAX_WARM_LEAD_MS) throw invalid('warmAt is more than 12 h before startAt');
  warmAt = Math.max(warmAt, now);
  const endAt = body.endAt === undefined || body.endAt === null ? null : time(body.endAt, 'endAt');
  if (endAt !== null && endAt <= startAt) throw invalid('endAt is not after startAt');
  if (endAt !== null && endAt - startAt > MAX_EVENT_MS)
    throw invalid('endAt is more than 24 h after startAt');
  const peak = body.expectedViewers;
  if (
    typeof peak !== 'number' ||
    !Number.isInteger(peak) ||
    peak < 1 ||
    peak > MAX_EXPECTED_VIEWERS
  ) {
    throw invalid(`expectedViewers must be a whole number from 1 to ${MAX_EXPECTED_VIEWERS}`);
  }
  const policy = body.policy === undefined ? {} : parseSettingsPatch(body.policy);
  const gateways = body.gateways ?? [];
  if (
    !Array.isArray(gateways) ||
    gateways.length > MAX_NAMED_GATEWAYS ||
    !gateways.every((g) => typeof g === 'string' && GATEWAY_ID.test(g))
  ) {
    throw invalid(`gateways must be up to ${MAX_NAMED_GATEWAYS} gateway ids (ROAR_GATEWAY_ID)`);
  }
  return {
    stream,
    warmAt,
    startAt,
    endAt,
    expectedViewers: peak,
    policy: policy as Partial<StreamSettings>,
    gateways: [...new Set(gateways as string[])],
    by,
    updatedAt: now,
  };
}

/** When a gateway stops holding the stream for its event. */
export function holdUntil(event: ScheduledEvent): number {
  return event.endAt ?? event.startAt + HOLD_WITHOUT_END_MS;
}

/** Where an event is at `now`. */
export type Phase = 'scheduled' | 'warming' | 'live' | 'ended';

export function phaseOf(event: ScheduledEvent, now: number): Phase {
  if (now < event.warmAt) return 'scheduled';
  if (now < event.startAt) return 'warming';
  if (now < holdUntil(event)) return 'live';
  return 'ended';
}

/**
 * True when gateway `gatewayId` holds the stream at `now`: every gateway when the plan names
 * none, else those named. A name also covers the worker threads of that process
 * (`<ROAR_GATEWAY_ID>-<n>` with `ROAR_WORKERS` > 1).
 */
export function warmsHere(event: ScheduledEvent, gatewayId: string, now: number): boolean {
  const phase = phaseOf(event, now);
  if (phase !== 'warming' && phase !== 'live') return false;
  if (event.gateways.length === 0) return true;
  const process = /^(.*)-\d+$/.exec(gatewayId)?.[1];
  return event.gateways.some((g) => g === gatewayId || g === process);
}

/**
 * The viewers to provision for at `now`: nothing before warm-up, then a straight ramp from
 * warm-up that reaches the full peak `leadMs` before the start (so that new gateways are up and
 * ready when the toss comes, not starting then), the peak until the end, nothing after.
 */
export function expectedViewersAt(event: ScheduledEvent, now: number, leadMs: number): number {
  const phase = phaseOf(event, now);
  if (phase === 'scheduled' || phase === 'ended') return 0;
  const full = Math.max(event.warmAt, event.startAt - leadMs);
  if (now >= full) return event.expectedViewers;
  const share = (now - event.warmAt) / Math.max(1, full - event.warmAt);
  return Math.ceil(event.expectedViewers * Math.min(1, Math.max(0, share)));
}

/** The body `GET`/`PUT` answer with: the stored event, times as RFC 3339. */
export function planView(event: ScheduledEvent, now: number): Record<string, unknown> {
  return {
    stream: event.stream,
    warmAt: new Date(event.warmAt).toISOString(),
    startAt: new Date(event.startAt).toISOString(),
    endAt: event.endAt === null ? null : new Date(event.endAt).toISOString(),
    expectedViewers: event.expectedViewers,
    policy: event.policy,
    gateways: event.gateways,
    phase: phaseOf(event, now),
    by: event.by,
    updatedAt: new Date(event.updatedAt).toISOString(),
  };
}
