import { StoreUnavailableError, type Leases } from '@roar/store';

/** How the lease store has behaved, for metrics and /readyz. */
export interface StickyLeasesStats {
  /** Lease calls the store could not answer (each one). */
  unreachable: number;
  /** Of those, renewals answered "still yours" because the lease was held when the store went. */
  keptThroughOutage: number;
  /** Of those, leases taken with no store at all (the store was never reached since start). */
  claimedBlind: number;
}

/**
 * `Leases` that keep counting alive through a lease-store outage.
 *
 * `PartitionLeaser` gives up a partition on any store error, preferring no publisher to two. With
 * the leases in Redis that turns a Redis outage into a counting outage, and the brief's
 * degradation order says the count survives. So when the store cannot be reached (and only then;
 * a refusal is always passed on):
 * - a lease this owner held is reported as still held: nobody else can take it from a store that
 *   is down for everyone, so this keeps exactly one publisher;
 * - a lease is granted blind only while the store has never been reached since start, so a lone
 *   aggregator started during an outage still counts. Should another instance be publishing the
 *   same partition, both publish the same sums (every instance reads every report of a partition
 *   it owns) until the store is back, when the store's answer settles it and the loser is told
 *   "lost";
 * - any other lease is refused: a standby stays standby.
 *
 * When the store is down only for this process (a network split) while another aggregator can
 * reach it, both may publish for the length of the split. Sums stay right; events come twice.
 */
export class StickyLeases implements Leases {
  readonly stats: StickyLeasesStats = { unreachable: 0, keptThroughOutage: 0, claimedBlind: 0 };
  readonly #inner: Leases;
  /**
   * Leases the store last granted to us (with their epoch), or that we kept or claimed through an
   * outage. A blind claim's epoch is this process's clock: above any epoch the store gave out
   * before (they are Redis's clock in ms) unless the clocks are far apart.
   */
  readonly #held = new Map<string, number>();
  #reached: boolean;

  /** `reached`: the store has answered already (e.g. `ready()` resolved). */
  constructor(inner: Leases, reached: boolean) {
    this.#inner = inner;
    this.#reached = reached;
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<number> {
    let epoch: number;
    try {
      epoch = await this.#inner.acquire(name, owner, ttlMs);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.stats.unreachable++;
      const kept = this.#held.get(name);
      if (kept !== undefined) {
        this.stats.keptThroughOutage++;
        return kept;
      }
      if (!this.#reached) {
        this.stats.claimedBlind++;
        const blind = Date.now();
        this.#held.set(name, blind);
        return blind;
      }
      return 0;
    }
    this.#reached = true;
    if (epoch > 0) this.#held.set(name, epoch);
    else this.#held.delete(name);
    return epoch;
  }

  async release(name: string, owner: string): Promise<void> {
    // Forgotten first: after a release we must not claim to hold it through an outage.
    this.#held.delete(name);
    await this.#inner.release(name, owner);
  }

  holder(name: string): Promise<string | undefined> {
    return this.#inner.holder(name);
  }
}
