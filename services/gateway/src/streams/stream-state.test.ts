import type { ViewersEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../moderation/rules/settings.js';
import { StreamState } from './stream-state.js';

const viewers = (total: number, epoch?: number): ViewersEvent => ({
  type: 'viewers',
  total,
  text: `${total} watching`,
  ...(epoch === undefined ? {} : { epoch }),
});

describe('StreamState counts', () => {
  it('drops totals from an older lease epoch, and takes any epoch once the figures are stale', () => {
    const s = new StreamState('s', 0, 10, defaultSettings(['🔥']));
    expect(s.acceptTotals(viewers(90, 5), 0)).toBe('new');
    expect(s.acceptTotals(viewers(0, 4), 10)).toBe('fenced');
    expect(s.viewerCount()).toEqual({ total: 90, text: '90 watching' });
    expect(s.acceptTotals(viewers(91, 6), 20)).toBe('new');
    expect(s.totalsEpoch).toBe(6);
    expect(s.markStale(1000, 3000)).toBeUndefined();
    const stale = s.markStale(3020, 3000);
    expect(stale?.event).toEqual({ type: 'viewers', total: 91, text: '91 watching', stale: true });
    // Once per silence.
    expect(s.markStale(9000, 3000)).toBeUndefined();
    expect(s.viewerCount()).toMatchObject({ total: 91, stale: true });
    // The owner is gone: a lower epoch (a new owner on a clock behind) is taken, fresh.
    expect(s.acceptTotals(viewers(92, 3), 9100)).toBe('new');
    expect(s.viewerCount()).toEqual({ total: 92, text: '92 watching' });
    expect(s.acceptTotals(viewers(0, 2), 9200)).toBe('fenced');
  });

  it("takes an unchanged refresh as the owner's liveness, not as news for viewers", () => {
    const s = new StreamState('s', 0, 10, defaultSettings(['🔥']));
    expect(s.acceptTotals(viewers(90, 5), 0)).toBe('new');
    expect(s.acceptTotals(viewers(90, 5), 2000)).toBe('same');
    // The refresh kept the figures fresh: not stale 3 s after the first.
    expect(s.markStale(3500, 3000)).toBeUndefined();
    expect(s.markStale(5000, 3000)?.event).toMatchObject({ total: 90, stale: true });
    // Fresh again after a silence: news, so viewers lose the stale mark.
    expect(s.acceptTotals(viewers(90, 5), 5100)).toBe('new');
    expect(s.acceptTotals(viewers(90, 6), 5200)).toBe('same');
    expect(s.acceptTotals(viewers(91, 6), 5300)).toBe('new');
  });
});

describe('StreamState loads', () => {
  it('is loaded once its loads resolved, never while they are pending or after they failed', async () => {
    const state = new StreamState('s', 0, 10, defaultSettings(['🔥']));
    expect(state.loaded).toBe(true);
    let resolve: () => void = () => {};
    state.loading(new Promise<void>((r) => (resolve = r)));
    expect(state.loaded).toBe(false);
    resolve();
    await state.ready;
    expect(state.loaded).toBe(true);
    const failed = Promise.reject(new Error('store down'));
    state.loading(failed);
    await expect(state.ready).rejects.toThrow('store down');
    // Whoever waits on `ready` must still see the failure: not loaded.
    expect(state.loaded).toBe(false);
    // A later load replaces it; an earlier one settling late changes nothing.
    let late: () => void = () => {};
    state.loading(new Promise<void>((r) => (late = r)));
    state.loading(Promise.resolve());
    await state.ready;
    expect(state.loaded).toBe(true);
    late();
    await Promise.resolve();
    expect(state.loaded).toBe(true);
  });
});
