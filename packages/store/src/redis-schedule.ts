import type { Keys } from './keys.js';
import { attempt, parseObject, type RedisClient } from './redis-shared.js';
import { byStart, type ScheduledEvent, type ScheduleStore } from './schedule.js';

/**
 * The schedule on Redis: one hash, stream → JSON event (keys.ts). One key rather than one per
 * stream, so that a gateway reads every event in one HGETALL at start and on every change, and
 * on a Redis Cluster that read touches one slot. Scheduled events are few (hundreds, not
 * millions), and each is a few hundred bytes.
 */
export class RedisSchedules implements ScheduleStore {
  readonly #redis: RedisClient;
  readonly #key: string;

  constructor(redis: RedisClient, keys: Keys) {
    this.#redis = redis;
    this.#key = keys.schedules();
  }

  async putSchedule(event: ScheduledEvent): Promise<void> {
    const json = JSON.stringify(event);
    await attempt('schedule.put', () => this.#redis.hset(this.#key, event.stream, json));
  }

  async getSchedule(stream: string): Promise<ScheduledEvent | undefined> {
    const json = await attempt('schedule.get', () => this.#redis.hget(this.#key, stream));
    return json === null ? undefined : decode(json);
  }

  async removeSchedule(stream: string): Promise<boolean> {
    const removed = await attempt('schedule.remove', () => this.#redis.hdel(this.#key, stream));
    return removed > 0;
  }

  async listSchedules(): Promise<ScheduledEvent[]> {
    const all = await attempt('schedule.list', () => this.#redis.hgetall(this.#key));
    return Object.values(all).map(decode).sort(byStart);
  }
}

function decode(json: string): ScheduledEvent {
  const event = parseObject(json, 'scheduled event');
  if (typeof event.stream !== 'string' || typeof event.startAt !== 'number') {
    throw new Error('stored scheduled event is malformed');
  }
  return event as unknown as ScheduledEvent;
}
