import { describe, expect, it } from 'vitest';
import { setup } from '../test/harness.js';

describe('reaction bursts', () => {
  it('sums reactions across gateways into one event per stream per window', async () => {
    const { gateways, observer, agg, step } = setup({ warmupMs: undefined });
    const [g0, g1, g2] = gateways;
    g0!.reactions(0, { a: { '🔥': 3 }, b: { '👏': 1 } });
    g1!.reactions(0, { a: { '🔥': 2, '👏': 1 } });
    g2!.reactions(0, { a: { '🔥': 1 } });
    await step(249);
    expect(observer.reactions).toEqual([]);
    await step(1);
    expect(observer.reactions).toEqual([
      { stream: 'a', event: { type: 'reactions', counts: { '🔥': 6, '👏': 1 }, windowMs: 250 } },
      { stream: 'b', event: { type: 'reactions', counts: { '👏': 1 }, windowMs: 250 } },
    ]);
    g0!.reactions(0, { a: { '🔥': 4 } });
    await step(250);
    await step(250);
    expect(observer.reactions.slice(2)).toEqual([
      { stream: 'a', event: { type: 'reactions', counts: { '🔥': 4 }, windowMs: 250 } },
    ]);
    expect(agg.stats.reactionBursts).toBe(3);
    expect(agg.stats.reactionReports).toBe(4);
  });

  it('skips bad counts and bounds the emoji kept per stream', async () => {
    const { gateways, observer, agg, step } = setup();
    const many: Record<string, number> = {};
    for (let i = 0; i < 70; i++) many[`e${i}`] = 1;
    gateways[0]!.reactions(0, { a: { ok: 2, neg: -1, frac: 0.5, big: 2e9 }, b: many });
    await step(250);
    expect(observer.reactions[0]).toEqual({
      stream: 'a',
      event: { type: 'reactions', counts: { ok: 2 }, windowMs: 250 },
    });
    expect(Object.keys(observer.reactions[1]?.event.counts ?? {})).toHaveLength(64);
    expect(agg.stats.badReports).toBe(3);
    expect(agg.stats.reactionsDropped).toBe(6);
  });
});
