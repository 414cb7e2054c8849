import { silentLogger } from '@roar/runtime';
import type { HistoryEntry, Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { HistoryWriter } from './history-writer.js';
import { GatewayMetrics } from '../base/metrics.js';

/** A history that keeps what it was given, and fails while `down` is set. */
function flakyStore(): { store: Store; stored: string[]; setDown: (down: boolean) => void } {
  const stored: string[] = [];
  let down = false;
  const history = {
    append: (_stream: string, entries: readonly HistoryEntry[]): Promise<void> => {
      if (down) return Promise.reject(new Error('store down'));
      stored.push(...entries.map((e) => e.id));
      return Promise.resolve();
    },
  };
  return { store: { history } as unknown as Store, stored, setDown: (d) => (down = d) };
}

const entry = (id: string): HistoryEntry => ({ id, bytes: new Uint8Array([1]) });
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('HistoryWriter', () => {
  it('keeps failed writes and writes them again, first and in order, when the store is back', async () => {
    const { store, stored, setDown } = flakyStore();
    const metrics = new GatewayMetrics();
    const w = new HistoryWriter({ store, metrics, log: silentLogger, retryLimit: 100 });
    w.add('s', entry('1'));
    w.flush();
    await settle();
    setDown(true);
    w.add('s', entry('2'));
    w.add('s', entry('3'));
    w.flush();
    await settle();
    w.add('s', entry('4'));
    w.flush();
    await settle();
    expect(stored).toEqual(['1']);
    expect(w.backlog).toBe(3);
    setDown(false);
    w.add('s', entry('5'));
    w.flush();
    await settle();
    expect(stored).toEqual(['1', '2', '3', '4', '5']);
    expect(w.backlog).toBe(0);
    expect((await metrics.historyDropped.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('gives up the oldest past the retry limit, and counts them', async () => {
    const { store, stored, setDown } = flakyStore();
    const metrics = new GatewayMetrics();
    const w = new HistoryWriter({ store, metrics, log: silentLogger, retryLimit: 2 });
    setDown(true);
    for (const id of ['1', '2', '3', '4']) {
      w.add('s', entry(id));
      w.flush();
      await settle();
    }
    setDown(false);
    w.flush();
    await settle();
    expect(stored).toEqual(['3', '4']);
    expect((await metrics.historyDropped.get()).values[0]?.value).toBe(2);
  });

  it('has one write in flight per stream, so a slow one is not overtaken', async () => {
    const stored: string[] = [];
    let release: (() => void) | undefined;
    const history = {
      append: (_s: string, entries: readonly HistoryEntry[]): Promise<void> =>
        new Promise<void>((resolve) => {
          release = () => {
            stored.push(...entries.map((e) => e.id));
            resolve();
          };
        }),
    };
    const metrics = new GatewayMetrics();
    const w = new HistoryWriter({
      store: { history } as unknown as Store,
      metrics,
      log: silentLogger,
      retryLimit: 10,
    });
    w.add('s', entry('1'));
    w.flush();
    w.add('s', entry('2'));
    w.flush();
    expect(w.backlog).toBe(1);
    release?.();
    await settle();
    w.flush();
    release?.();
    await settle();
    expect(stored).toEqual(['1', '2']);
  });
});
