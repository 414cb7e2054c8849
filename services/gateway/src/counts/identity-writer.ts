import type { Store } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import type { StreamState } from '../streams/stream-state.js';

/**
 * Most identities a stream keeps waiting while the store refuses them; past this the oldest are
 * dropped (and counted). At one identity per join that is minutes of a busy stream's joins.
 */
export const MAX_PENDING_IDENTITIES = 10_000;

/**
 * Adds viewer identities to each stream's unique counter in the store directly, once per report
 * interval, so they reach it whatever the aggregator is doing (restarting, paused, handing over):
 * reports sent while no aggregator listens are lost, identities written here are not.
 *
 * Guarantees:
 * - one call per stream with new identities per flush (the Redis client pipelines them), at most
 *   one flush in flight; each identity is sent once per gateway (repeats within a batch are
 *   merged, and the counter counts a repeat once anyway);
 * - a stream whose batch failed keeps its identities, first in line, and they are sent again at
 *   the next flush, for as long as the store fails, up to `MAX_PENDING_IDENTITIES` per stream;
 * - a stream whose batch was written is flagged (`identitiesCounted`) so the next report tells
 *   the aggregator to read the count again.
 *
 * What can still be lost: the identities of one flush interval (plus a batch in flight) when the
 * gateway process dies; identities beyond the bound while the store is unreachable; everything
 * when Redis restarts without persistence.
 */
export class IdentityWriter {
  readonly #store: Store;
  readonly #metrics: GatewayMetrics;
  readonly #alsoReport: boolean;
  /** The batch being written, settling when every stream's write has (never rejects). */
  #inFlight: Promise<void> | undefined;

  /**
   * `alsoReport`: each batch is also handed to the next report
   * (`StreamCounters.queueReportIdentities`), for an aggregator whose unique counter is in another
   * store (the standby region of two; see `ROAR_UNIQUES_IN_REPORTS`).
   */
  constructor(store: Store, metrics: GatewayMetrics, alsoReport = false) {
    this.#store = store;
    this.#metrics = metrics;
    this.#alsoReport = alsoReport;
  }

  /** Starts one batch of every stream's new identities, unless one is in flight. */
  flush(states: Iterable<StreamState>): void {
    if (this.#inFlight !== undefined) return;
    const batch: [StreamState, string[]][] = [];
    for (const state of states) {
      const ids = state.counters.takeNewIdentities();
      if (ids === undefined) continue;
      batch.push([state, ids]);
      if (this.#alsoReport) state.counters.queueReportIdentities(ids, MAX_PENDING_IDENTITIES);
    }
    if (batch.length === 0) return;
    this.#inFlight = Promise.all(batch.map(([state, ids]) => this.#add(state, ids))).then(() => {
      this.#inFlight = undefined;
    });
  }

  /** Resolves when no batch is in flight (shutdown), or after `deadlineMs` if one still is. */
  async settled(deadlineMs: number): Promise<void> {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([inFlight, deadline]);
    clearTimeout(timer);
  }

  async #add(state: StreamState, ids: string[]): Promise<void> {
    try {
      await this.#store.uniques.add(state.id, ids);
      state.counters.noteIdentitiesCounted();
    } catch {
      this.#metrics.uniqueAddFailures.inc();
      const dropped = state.counters.retryIdentities(ids, MAX_PENDING_IDENTITIES);
      if (dropped > 0) this.#metrics.uniqueIdsDropped.inc(dropped);
    }
  }
}
