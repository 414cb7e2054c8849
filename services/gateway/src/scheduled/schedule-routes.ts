import type { Bus, Subjects } from '@roar/bus';
import { ErrorCode, RoarError } from '@roar/protocol';
import { json, type Route } from '../base/http.js';
import { requireAdmin } from '../moderation/actor.js';
import { AdminRouter, type AdminRouterOptions } from '../moderation/admin-router.js';
import type { EventCalendar } from './calendar.js';
import { encodeNews } from './news.js';
import { parsePlan, planView, type PlanLimits } from './plan.js';

export interface ScheduleRoutesOptions extends AdminRouterOptions {
  bus: Bus;
  subjects: Subjects;
  calendar: EventCalendar;
  limits: PlanLimits;
  now: () => number;
}

/**
 * The schedule's admin API (docs/openapi.yaml, tag `schedule`): list, read, put and cancel a
 * stream's scheduled event. Scheduling moves capacity (the scale signal) and chat rules, so every
 * route needs the `admin` role or an API key (the platform's backend). A put or cancel is stored,
 * audited in the stream's log, then told to every gateway on `<prefix>.schedule`; a store that
 * fails leaves nothing changed and answers 503.
 */
export function scheduleRoutes(o: ScheduleRoutesOptions): Route[] {
  const router = new AdminRouter(o);
  const { store, bus, subjects, calendar, now } = o;
  const tell = (stream: string, event: Parameters<EventCalendar['learn']>[1]): void => {
    calendar.learn(stream, event);
    bus.publish(subjects.schedule(), encodeNews({ stream, event }));
  };
  const audit = (actor: string, stream: string, action: string, details?: object) =>
    store.moderation.appendAudit({
      at: now(),
      scope: stream,
      actor,
      action,
      ...(details ? { details: { ...details } } : {}),
    });

  const routes = [
    router.route('get', '/schedule', async (_req, actor) => {
      requireAdmin(actor);
      const t = now();
      const events = await store.schedules.listSchedules();
      return json(200, { events: events.map((e) => planView(e, t)) });
    }),
    router.route('get', '/streams/:stream/schedule', async (req, actor) => {
      requireAdmin(actor);
      const stream = req.params.stream ?? '';
      const event = await store.schedules.getSchedule(stream);
      if (!event) throw new RoarError(ErrorCode.NotFound, `no event is scheduled for ${stream}`);
      return json(200, { event: planView(event, now()) });
    }),
    router.route('put', '/streams/:stream/schedule', async (req, actor) => {
      requireAdmin(actor);
      const t = now();
      const event = parsePlan(req.params.stream ?? '', req.body, t, o.limits, actor.id);
      const before = await store.schedules.getSchedule(event.stream);
      await store.schedules.putSchedule(event);
      tell(event.stream, event);
      const view = planView(event, t);
      await audit(actor.id, event.stream, 'schedule', view);
      return json(before ? 200 : 201, { event: view });
    }),
    router.route('del', '/streams/:stream/schedule', async (req, actor) => {
      requireAdmin(actor);
      const stream = req.params.stream ?? '';
      if (!(await store.schedules.removeSchedule(stream))) {
        throw new RoarError(ErrorCode.NotFound, `no event is scheduled for ${stream}`);
      }
      tell(stream, null);
      await audit(actor.id, stream, 'unschedule');
      return json(200, { cancelled: stream });
    }),
  ];
  // The moderation router's preflight answers `/admin/v1/*` from its own routes only; these
  // patterns get theirs, mounted before it.
  const preflight = router.preflight();
  return [
    ...routes,
    { ...preflight, pattern: '/admin/v1/schedule' },
    { ...preflight, pattern: '/admin/v1/streams/:stream/schedule' },
  ];
}
