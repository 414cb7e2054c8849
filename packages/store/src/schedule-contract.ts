import { describe, expect, it } from 'vitest';
import type { ScheduledEvent, ScheduleStore } from './schedule.js';

const T = 1_900_000_000_000;

const event = (stream: string, startAt: number, extra: Partial<ScheduledEvent> = {}) => ({
  stream,
  warmAt: startAt - 1_800_000,
  startAt,
  endAt: startAt + 4 * 3_600_000,
  expectedViewers: 2_000_000,
  policy: { slowModeS: 10, subscribersOnly: true },
  gateways: [],
  by: 'key:ops',
  updatedAt: T - 5_000,
  ...extra,
});

/** What every `ScheduleStore` promises (see schedule.ts). */
export function describeScheduleStoreContract(schedules: () => ScheduleStore): void {
  describe('schedule', () => {
    it('stores an event whole, replaces it, and removes it once', async () => {
      const s = schedules();
      expect(await s.getSchedule('final')).toBeUndefined();
      const first = event('final', T, { gateways: ['gw-1', 'gw-2'] });
      await s.putSchedule(first);
      expect(await s.getSchedule('final')).toEqual(first);

      const moved = event('final', T + 60_000, { endAt: null, policy: {} });
      await s.putSchedule(moved);
      expect(await s.getSchedule('final')).toEqual(moved);

      expect(await s.removeSchedule('final')).toBe(true);
      expect(await s.removeSchedule('final')).toBe(false);
      expect(await s.getSchedule('final')).toBeUndefined();
    });

    it('lists every event by start time, then stream id', async () => {
      const s = schedules();
      expect(await s.listSchedules()).toEqual([]);
      const late = event('b-late', T + 10_000);
      const tieB = event('tie-b', T);
      const tieA = event('tie-a', T);
      for (const e of [late, tieB, tieA]) await s.putSchedule(e);
      expect(await s.listSchedules()).toEqual([tieA, tieB, late]);
    });

    it('hands out copies: changing what was passed or returned changes nothing stored', async () => {
      const s = schedules();
      const e = event('copy', T);
      await s.putSchedule(e);
      e.gateways.push('gw-x');
      const got = await s.getSchedule('copy');
      got?.gateways.push('gw-y');
      expect((await s.getSchedule('copy'))?.gateways).toEqual([]);
    });
  });
}
