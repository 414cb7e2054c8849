import { createMemoryStore, type Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../base/metrics.js';
import { defaultSettings } from '../moderation/rules/settings.js';
import { StreamState } from '../streams/stream-state.js';
import { IdentityWriter } from './identity-writer.js';

function stream(...viewers: string[]): StreamState {
  const s = new StreamState('s', 0, 10, defaultSettings(['🔥']));
  for (const v of viewers) s.join(v);
  return s;
}

describe('IdentityWriter', () => {
  it('writes each stream batch once, and settles when the write has', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const writer = new IdentityWriter(store, new GatewayMetrics());
    const s = stream('u1', 'u2', 'u1');
    writer.flush([s]);
    await writer.settled(5000);
    expect(await store.uniques.count('s')).toBe(2);
    expect(s.counters.takeReport(2, 0, false).counted).toBe(true);
    // Nothing new: nothing written, and nothing to wait for.
    writer.flush([s]);
    await writer.settled(5000);
    expect(s.counters.takeReport(2, 0, false).counted).toBe(false);
  });

  it('keeps a failed batch for the next flush, and settles by its deadline if a write hangs', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    let mode: 'fail' | 'hang' | 'ok' = 'fail';
    const add = store.uniques.add.bind(store.uniques);
    const flaky = {
      ...store,
      uniques: {
        count: (id: string) => store.uniques.count(id),
        add: (id: string, ids: readonly string[]) =>
          mode === 'ok'
            ? add(id, ids)
            : mode === 'fail'
              ? Promise.reject(new Error('store down'))
              : new Promise<void>(() => undefined),
      },
    } as Store;
    const writer = new IdentityWriter(flaky, new GatewayMetrics());
    const s = stream('u1');
    writer.flush([s]);
    await writer.settled(5000);
    expect(await store.uniques.count('s')).toBe(0);
    mode = 'hang';
    s.join('u2');
    writer.flush([s]);
    const started = performance.now();
    await writer.settled(50);
    expect(performance.now() - started).toBeLessThan(2000);
    // The hung batch is still in flight: a flush now starts nothing.
    mode = 'ok';
    writer.flush([s]);
    const again = performance.now();
    await writer.settled(50);
    expect(performance.now() - again).toBeGreaterThanOrEqual(45);
    expect(await store.uniques.count('s')).toBe(0);
  });
});
