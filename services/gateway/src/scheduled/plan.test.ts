import type { ScheduledEvent } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { expectedViewersAt, parsePlan, phaseOf, warmsHere } from './plan.js';

const T = 1_900_000_000_000;
const MIN = 60_000;

const event = (over: Partial<ScheduledEvent> = {}): ScheduledEvent => ({
  stream: 's',
  warmAt: T - 30 * MIN,
  startAt: T,
  endAt: T + 120 * MIN,
  expectedViewers: 1_000_000,
  policy: {},
  gateways: [],
  by: 'key:ops',
  updatedAt: T - 60 * MIN,
  ...over,
});

describe('plan', () => {
  it('ramps the expected viewers from warm-up to the peak a lead before the start', () => {
    const e = event();
    const lead = 10 * MIN;
    expect(expectedViewersAt(e, T - 31 * MIN, lead)).toBe(0);
    expect(expectedViewersAt(e, T - 30 * MIN, lead)).toBe(0);
    expect(expectedViewersAt(e, T - 20 * MIN, lead)).toBe(500_000);
    expect(expectedViewersAt(e, T - 10 * MIN, lead)).toBe(1_000_000);
    expect(expectedViewersAt(e, T + 60 * MIN, lead)).toBe(1_000_000);
    expect(expectedViewersAt(e, T + 120 * MIN, lead)).toBe(0);
    // A lead longer than the warm-up: the peak from the warm-up on.
    expect(expectedViewersAt(e, T - 30 * MIN, 60 * MIN)).toBe(1_000_000);
  });

  it('knows its phases, and which gateways (or worker threads of a named one) warm it', () => {
    const e = event({ gateways: ['gw-a'] });
    expect(phaseOf(e, T - 31 * MIN)).toBe('scheduled');
    expect(phaseOf(e, T - MIN)).toBe('warming');
    expect(phaseOf(e, T)).toBe('live');
    expect(phaseOf(e, T + 120 * MIN)).toBe('ended');
    expect(warmsHere(e, 'gw-a', T)).toBe(true);
    expect(warmsHere(e, 'gw-a-1', T)).toBe(true);
    expect(warmsHere(e, 'gw-b', T)).toBe(false);
    expect(warmsHere(e, 'gw', T)).toBe(false);
    expect(warmsHere(e, 'gw-a', T - 31 * MIN)).toBe(false);
    expect(warmsHere(event(), 'anyone', T - MIN)).toBe(true);
  });

  it('defaults the warm-up, starts a past one now, and refuses what makes no sense', () => {
    const now = T - 60 * MIN;
    const iso = (ms: number) => new Date(ms).toISOString();
    const p = parsePlan(
      's',
      { startAt: iso(T), expectedViewers: 5 },
      now,
      { warmLeadMs: 30 * MIN },
      'u',
    );
    expect(p).toMatchObject({ warmAt: T - 30 * MIN, startAt: T, endAt: null, gateways: [] });
    const soon = parsePlan(
      's',
      { startAt: iso(T), expectedViewers: 5 },
      T - MIN,
      { warmLeadMs: 30 * MIN },
      'u',
    );
    expect(soon.warmAt).toBe(T - MIN);
    // Offsets other than Z are read as written.
    const offset = parsePlan(
      's',
      { startAt: '2030-03-01T19:30:00+05:30', expectedViewers: 5 },
      Date.parse('2030-01-01T00:00:00Z'),
      { warmLeadMs: 0 },
      'u',
    );
    expect(offset.startAt).toBe(Date.parse('2030-03-01T14:00:00Z'));
    expect(() =>
      parsePlan('a b', { startAt: iso(T), expectedViewers: 5 }, now, { warmLeadMs: 0 }, 'u'),
    ).toThrow(/stream/);
    expect(() =>
      parsePlan(
        's',
        { startAt: '2030-03-01T14:00:00', expectedViewers: 5 },
        0,
        { warmLeadMs: 0 },
        'u',
      ),
    ).toThrow(/offset/);
  });
});
