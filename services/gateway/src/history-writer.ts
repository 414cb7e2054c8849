import type { Logger } from '@roar/runtime';
import type { HistoryEntry, Store } from '@roar/store';
import type { GatewayMetrics } from './metrics.js';

/**
 * Writes accepted chat to the store, one append per stream per tick (not one per message). Only
 * the gateway that accepted a message writes it. A failed write loses the message from history,
 * not from the live chat, and is counted.
 */
export class HistoryWriter {
  #pending = new Map<string, HistoryEntry[]>();
  #inFlight = new Set<Promise<void>>();
  readonly #store: Store;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;

  constructor(store: Store, metrics: GatewayMetrics, log: Logger) {
    this.#store = store;
    this.#metrics = metrics;
    this.#log = log;
  }

  add(stream: string, entry: HistoryEntry): void {
    let list = this.#pending.get(stream);
    if (!list) this.#pending.set(stream, (list = []));
    list.push(entry);
  }

  flush(): void {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    for (const [stream, entries] of batch) {
      const write = this.#store.history.append(stream, entries).then(
        () => undefined,
        (error: unknown) => {
          this.#metrics.historyWriteFailures.inc(entries.length);
          this.#log.warn('history write failed', { stream, messages: entries.length, error });
        },
      );
      this.#inFlight.add(write);
      void write.finally(() => this.#inFlight.delete(write));
    }
  }

  /** Flushes and waits for every write, for shutdown. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.#inFlight);
  }
}
