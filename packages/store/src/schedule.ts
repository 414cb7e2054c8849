import type { StreamSettings } from '@roar/protocol';

/**
 * A stream's scheduled event (a match): when it starts, how many viewers it expects, when the
 * gateways should start holding it, and the chat rules to switch on while it runs. Times are ms
 * since the epoch. The gateway checks every field before it is stored (scheduled/plan.ts); the
 * store keeps it as given.
 */
export interface ScheduledEvent {
  stream: string;
  /** When the gateways start holding the stream as if a viewer had joined (warm-up). */
  warmAt: number;
  /** The toss: when the planned chat policy switches on, and the scale signal's ramp ends. */
  startAt: number;
  /** When the planned chat policy switches off and warm-up ends; null: the policy stays on. */
  endAt: number | null;
  /** Expected peak concurrent viewers, over every gateway. */
  expectedViewers: number;
  /** The chat rules to set at `startAt` (and undo at `endAt`); empty: none. */
  policy: Partial<StreamSettings>;
  /** Gateway ids that warm the stream; empty: every gateway. */
  gateways: string[];
  /** Who scheduled it last (a user id or `key:<name>`), and when. */
  by: string;
  updatedAt: number;
}

/**
 * Scheduled events, at most one per stream. Every gateway lists them at start and again when told
 * of a change, so the list is one read. Each call is atomic on its own; a put replaces the whole
 * event.
 */
export interface ScheduleStore {
  /** Creates or replaces the event of `event.stream`. */
  putSchedule(event: ScheduledEvent): Promise<void>;
  /** The event of `stream`, or undefined. */
  getSchedule(stream: string): Promise<ScheduledEvent | undefined>;
  /** Removes the event of `stream`; true when there was one. */
  removeSchedule(stream: string): Promise<boolean>;
  /** Every event, by `startAt` then stream id. */
  listSchedules(): Promise<ScheduledEvent[]>;
}

/** The order `listSchedules` returns events in. */
export function byStart(a: ScheduledEvent, b: ScheduledEvent): number {
  return a.startAt - b.startAt || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
}

/** The in-process schedule of the embedded mode and of unit tests; copies in and out. */
export class MemorySchedules implements ScheduleStore {
  readonly #events = new Map<string, ScheduledEvent>();

  async putSchedule(event: ScheduledEvent): Promise<void> {
    this.#events.set(event.stream, structuredClone(event));
  }

  async getSchedule(stream: string): Promise<ScheduledEvent | undefined> {
    const event = this.#events.get(stream);
    return event && structuredClone(event);
  }

  async removeSchedule(stream: string): Promise<boolean> {
    return this.#events.delete(stream);
  }

  async listSchedules(): Promise<ScheduledEvent[]> {
    return [...this.#events.values()].sort(byStart).map((e) => structuredClone(e));
  }
}
