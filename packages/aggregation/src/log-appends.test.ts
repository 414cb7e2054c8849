import { MemoryLog } from '@roar/log';
import { describe, expect, it } from 'vitest';
import { setup } from '../test/harness.js';

describe('Aggregator appends to the event log', () => {
  it('one reactions.burst per stream per window, and viewer samples at most once per interval', async () => {
    // The log's retention runs on the test's clock (which starts in 1970).
    let now = (): number => 0;
    const eventLog = new MemoryLog({ now: () => now() });
    const { gateways, step, clock } = setup({
      eventLog,
      sampleIntervalMs: 10_000,
      reactionWindowMs: 250,
      publishIntervalMs: 1000,
    });
    now = clock.now;
    const [g0, g1] = gateways;
    g0!.report(0, { a: 10 });
    g1!.report(0, { a: 5 });
    g0!.reactions(0, { a: { '🔥': 3 } });
    g1!.reactions(0, { a: { '🔥': 2, '👏': 1 } });
    await step(300);
    const bursts = await eventLog.read({ stream: 'a', type: 'reactions.burst' });
    expect(bursts.map((e) => e.data)).toEqual([{ counts: { '🔥': 5, '👏': 1 }, windowMs: 250 }]);
    // Figures that change every second are sampled once per 10 s, not once per publish.
    for (let i = 0; i < 25; i++) {
      g0!.report(0, { a: 10 + i });
      g1!.report(0, { a: 5 });
      await step(1000);
    }
    const samples = await eventLog.read({ stream: 'a', type: 'viewers.sample' });
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < samples.length; i++)
      expect(samples[i]!.ts - samples[i - 1]!.ts).toBeGreaterThanOrEqual(10_000);
    expect(samples[0]!.data).toMatchObject({ total: 15 });
    expect(samples.at(-1)!.ts).toBeLessThanOrEqual(clock.now());
  });
});
