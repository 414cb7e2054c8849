import type { Logger } from '@roar/runtime';
import type { HistoryEntry, Store } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';

export interface HistoryWriterOptions {
  store: Store;
  metrics: GatewayMetrics;
  log: Logger;
  /**
   * Most messages per stream kept to retry after failed writes (`ROAR_HISTORY_RETRY`); the oldest
   * beyond it are given up. 0 gives up a failed write at once.
   */
  retryLimit: number;
  /** Entries were added: a flush is needed (the tick runs only while something is `busy`). */
  onAdd?: () => void;
}

/**
 * Writes accepted chat to the store, one append per stream per tick (not one per message), and
 * whenever fanout writes a batch (`FanoutOptions.onDeliver`: what a viewer sees is stored). Only
 * the gateway that accepted a message writes it.
 *
 * A failed write is not the end of the message: it is kept and written again, before anything
 * newer, at the next tick, until the store takes it, so a store outage leaves history complete
 * once the store is back. A stream has at most one append in flight, so each gateway's messages
 * are stored in the order of their positions. Given up (and counted) are the oldest messages past
 * `retryLimit` per stream, and whatever is still unwritten when the process stops or dies; later
 * positions of the same origin show the hole to readers (a resume across it says `gap`).
 */
export class HistoryWriter {
  #pending = new Map<string, HistoryEntry[]>();
  /** Streams with an append in flight: their new entries wait for it. */
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Streams whose last write failed: logged once per outage, not once per tick. */
  readonly #failing = new Set<string>();
  readonly #o: HistoryWriterOptions;

  constructor(options: HistoryWriterOptions) {
    this.#o = options;
  }

  /** Messages waiting to be written (new ones and failed ones kept for retry). */
  get backlog(): number {
    let n = 0;
    for (const entries of this.#pending.values()) n += entries.length;
    return n;
  }

  add(stream: string, entry: HistoryEntry): void {
    let list = this.#pending.get(stream);
    if (!list) this.#pending.set(stream, (list = []));
    list.push(entry);
    this.#o.onAdd?.();
  }

  /** Entries wait to be written, or a write is in flight (its failure puts them back). */
  get busy(): boolean {
    return this.#pending.size > 0 || this.#inFlight.size > 0;
  }

  flush(): void {
    if (this.#pending.size === 0) return;
    for (const [stream, entries] of this.#pending) {
      if (this.#busy.has(stream)) continue;
      this.#pending.delete(stream);
      this.#write(stream, entries);
    }
  }

  /** Flushes and waits for every write, for shutdown; what fails then is given up. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.#inFlight);
    this.flush();
    await Promise.all(this.#inFlight);
    const left = this.backlog;
    if (left > 0) {
      this.#o.metrics.historyDropped.inc(left);
      this.#o.log.warn('history not written at shutdown', { messages: left });
      this.#pending.clear();
    }
  }

  #write(stream: string, entries: HistoryEntry[]): void {
    this.#busy.add(stream);
    const write = this.#o.store.history.append(stream, entries).then(
      () => {
        if (this.#failing.delete(stream)) this.#o.log.info('history writes resumed', { stream });
      },
      (error: unknown) => {
        this.#o.metrics.historyWriteFailures.inc(entries.length);
        if (!this.#failing.has(stream)) {
          this.#failing.add(stream);
          this.#o.log.warn('history write failed; retrying', { stream, error });
        }
        this.#keep(stream, entries);
      },
    );
    this.#inFlight.add(write);
    void write.finally(() => {
      this.#inFlight.delete(write);
      this.#busy.delete(stream);
    });
  }

  /** Puts failed entries back before the ones added since, keeping at most `retryLimit`. */
  #keep(stream: string, failed: HistoryEntry[]): void {
    const newer = this.#pending.get(stream) ?? [];
    let all = failed.concat(newer);
    const excess = all.length - Math.max(this.#o.retryLimit, newer.length);
    if (excess > 0) {
      // The oldest go: history keeps the newest anyway, and a later position shows the hole.
      this.#o.metrics.historyDropped.inc(excess);
      all = all.slice(excess);
    }
    if (all.length > 0) this.#pending.set(stream, all);
  }
}
