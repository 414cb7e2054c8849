import type { Bus, Subjects, Subscription } from '@roar/bus';
import type { SettingsPatch } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { ScheduledEvent, Store, StreamSettings } from '@roar/store';
import type { Actor } from '../moderation/actor.js';
import { decodeControl } from '../moderation/control.js';
import { decodeNews } from './news.js';
import { holdUntil, warmsHere } from './plan.js';

/** How a warm-up takes and lets go of a stream (the registry's `warm` and `cool`). */
export interface WarmHolder {
  warm(stream: string): unknown;
  cool(stream: string, now: number): void;
}

/** The settings path a moderator's change takes (`ModerationService.updateSettings`). */
export interface SettingsChanger {
  updateSettings(actor: Actor, stream: string, patch: SettingsPatch): Promise<unknown>;
}

export interface CalendarOptions {
  store: Pick<Store, 'schedules' | 'leases'>;
  bus: Bus;
  subjects: Subjects;
  holder: WarmHolder;
  settings: SettingsChanger;
  /** The rules the planned policy goes back to at the end. */
  defaults: StreamSettings;
  gatewayId: string;
  log: Logger;
  now: () => number;
  /** Every event is read again this often (news may have been missed). */
  refreshMs: number;
  /** A failed read is retried this often. */
  retryMs: number;
}

/** A policy switch not applied within this long after its time is skipped (and logged). */
export const SWITCH_LATE_LIMIT_MS = 3_600_000;

/**
 * A gateway's copy of the schedule, and what it does about it: from each event's warm-up time
 * until its end it holds the stream (`WarmHolder.warm`) when the plan names this gateway or no
 * gateway; at the start it switches the planned chat policy on, and at the planned end off,
 * through the moderators' settings path (stored, broadcast, audited as `schedule:<gateway>`).
 * Each switch is made once in the cluster: the gateway that takes its lease first (held until a
 * day after the event) makes it; one that fails to write it gives the lease back for a retry.
 *
 * The schedule is read from the store at start, on news from the admin API, and every
 * `refreshMs`; until the first read succeeds (store down at start) nothing is warmed, and reads
 * are retried every `retryMs`.
 */
export class EventCalendar {
  readonly #o: CalendarOptions;
  readonly #events = new Map<string, ScheduledEvent>();
  readonly #held = new Set<string>();
  /** Switches this gateway has settled (made, or seen claimed by another). */
  readonly #switched = new Set<string>();
  readonly #switching = new Set<string>();
  readonly #timers: NodeJS.Timeout[] = [];
  #sub: Subscription | undefined;
  #control: Subscription | undefined;
  #loaded = false;
  #loading = false;
  /** Bumped by every `learn`: a read that spans news is read again, not trusted. */
  #changes = 0;
  #failing = false;

  constructor(options: CalendarOptions) {
    this.#o = options;
  }

  /** True once the schedule has been read from the store. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Every known event, by start. */
  events(): ScheduledEvent[] {
    return [...this.#events.values()].sort((a, b) => a.startAt - b.startAt);
  }

  start(): void {
    const { bus, subjects, log } = this.#o;
    this.#sub = bus.subscribe(subjects.schedule(), (payload) => {
      const news = decodeNews(payload);
      if (!news) return log.warn('undecodable schedule news');
      this.learn(news.stream, news.event);
      this.tick(this.#o.now());
    });
    // `reload` on the control subject: a gateway found that Redis lost its data and wrote back
    // the moderation it knew. The schedule is written back the same way, from this copy.
    this.#control = bus.subscribe(subjects.control(), (payload) => {
      if (decodeControl(payload)?.kind === 'reload') void this.restore();
    });
    void this.reload();
    this.#every(1000, () => this.tick(this.#o.now()));
    this.#every(this.#o.refreshMs, () => void this.reload());
    this.#every(this.#o.retryMs, () => {
      if (!this.#loaded) void this.reload();
    });
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#sub?.unsubscribe();
    this.#control?.unsubscribe();
  }

  /**
   * Writes every event this gateway knows back to a store that lost its data: those missing
   * from it, as they were. Every gateway does, with the same events: the writes agree. (An event
   * cancelled while this gateway missed the news, at most `refreshMs` ago, comes back with them.)
   */
  async restore(): Promise<void> {
    const { store, log } = this.#o;
    try {
      const stored = new Set((await store.schedules.listSchedules()).map((e) => e.stream));
      const missing = [...this.#events.values()].filter((e) => !stored.has(e.stream));
      await Promise.all(missing.map((e) => store.schedules.putSchedule(e)));
      if (missing.length > 0)
        log.warn('schedule restored to the store', { events: missing.length });
    } catch (error) {
      log.warn('schedule restore failed; the next refresh reads what the store has', { error });
    }
  }

  /** Takes an event (or its cancellation, `null`) as the truth for `stream`. */
  learn(stream: string, event: ScheduledEvent | null): void {
    this.#changes++;
    if (event) this.#events.set(stream, event);
    else this.#events.delete(stream);
  }

  /** Reads every event from the store; on failure the copy so far is kept. */
  async reload(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    try {
      let events: ScheduledEvent[];
      // News heard during a read may be missing from it: read again (a few times at most;
      // then the next refresh does).
      for (let tries = 0; ; tries++) {
        const seen = this.#changes;
        events = await this.#o.store.schedules.listSchedules();
        if (this.#changes === seen) break;
        if (tries === 2) return;
      }
      this.#events.clear();
      for (const e of events) this.#events.set(e.stream, e);
      this.#loaded = true;
      if (this.#failing) this.#o.log.info('schedule read works again');
      this.#failing = false;
      this.tick(this.#o.now());
    } catch (error) {
      if (!this.#failing) this.#o.log.warn('schedule read failed; retrying', { error });
      this.#failing = true;
    } finally {
      this.#loading = false;
    }
  }

  /** Holds and lets go of streams, and makes the policy switches that are due. */
  tick(now: number): void {
    const { holder, gatewayId } = this.#o;
    for (const event of this.#events.values()) {
      const warm = warmsHere(event, gatewayId, now);
      if (warm && !this.#held.has(event.stream)) {
        this.#held.add(event.stream);
        holder.warm(event.stream);
        this.#o.log.info('warming stream for its scheduled event', { stream: event.stream });
      } else if (!warm && this.#held.has(event.stream)) this.#cool(event.stream, now);
      this.#switch(event, now);
    }
    for (const stream of this.#held) if (!this.#events.has(stream)) this.#cool(stream, now);
  }

  #cool(stream: string, now: number): void {
    this.#held.delete(stream);
    this.#o.holder.cool(stream, now);
  }

  #switch(event: ScheduledEvent, now: number): void {
    const fields = Object.keys(event.policy) as (keyof StreamSettings)[];
    if (fields.length === 0) return;
    const end = holdUntil(event);
    if (now >= event.startAt && now < end) {
      this.#once(event, 'on', event.startAt, end, event.policy as SettingsPatch);
    }
    if (event.endAt !== null && now >= event.endAt) {
      const back: Record<string, unknown> = {};
      for (const f of fields) back[f] = this.#o.defaults[f];
      this.#once(event, 'off', event.endAt, end, back as SettingsPatch);
    }
  }

  /** Makes one switch once in the cluster (see the class comment); `at` is when it was due. */
  #once(event: ScheduledEvent, which: 'on' | 'off', at: number, end: number, patch: SettingsPatch) {
    const key = `schedule.${event.stream}.${which}.${event.startAt}.${event.updatedAt}`;
    if (this.#switched.has(key) || this.#switching.has(key)) return;
    const { store, settings, log, gatewayId, now } = this.#o;
    if (now() - at > SWITCH_LATE_LIMIT_MS) {
      this.#switched.add(key);
      log.warn('planned chat policy switch skipped: more than an hour late', {
        stream: event.stream,
        which,
      });
      return;
    }
    this.#switching.add(key);
    const actor: Actor = { id: `schedule:${gatewayId}`, roles: [], admin: true };
    const ttlMs = Math.max(end - now(), 0) + 24 * 3_600_000;
    void (async () => {
      let claimed = false;
      try {
        claimed = (await store.leases.acquire(key, gatewayId, ttlMs)) > 0;
        if (claimed) {
          await settings.updateSettings(actor, event.stream, patch);
          log.info('planned chat policy switched', { stream: event.stream, which, patch });
        }
        this.#switched.add(key);
      } catch (error) {
        // Store down at the start time: tried again next tick, by whichever gateway claims it.
        log.warn('planned chat policy switch failed; retrying', { stream: event.stream, error });
        if (claimed) await store.leases.release(key, gatewayId).catch(() => undefined);
      } finally {
        this.#switching.delete(key);
      }
    })();
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}
