import { partitionOf } from '@roar/bus';
import type { Leases } from '@roar/store';

export interface PartitionLeaserOptions {
  leases: Leases;
  /** Unique per aggregator process (host and pid, or a random id). */
  owner: string;
  partitions: number;
  /** Most partitions held at once. Default `partitions`: one active instance, the rest standby. */
  maxPartitions?: number;
  /** Lease lifetime. Default 3000. */
  ttlMs?: number;
  /** How often leases are renewed and free partitions tried; at most ttlMs / 2. Default ttlMs / 3. */
  renewEveryMs?: number;
  /** Called when a partition is taken, with the lease epoch: start consuming it (`Aggregator.own`). */
  onAcquire: (partition: number, epoch: number) => void;
  /**
   * Called after every successful renewal of a held partition, with the epoch the store answered
   * (`Aggregator.confirm`): proof that the lease was still ours after whatever paused us.
   */
  onRenew?: (partition: number, epoch: number) => void;
  /** Called when a partition is lost or given up: stop publishing it at once (`Aggregator.disown`). */
  onLose: (partition: number) => void;
  /** Told about store errors and callback failures; they are also counted in `stats`. */
  onError?: (error: unknown, where: string) => void;
  now?: () => number;
}

export interface PartitionLeaserStats {
  acquired: number;
  lost: number;
  errors: number;
}

/** The lease name of an aggregator partition. */
export function partitionLeaseName(partition: number): string {
  return `agg-partition-${partition}`;
}

/**
 * Keeps a set of aggregator partitions leased for one owner, so that each partition has at most
 * one publisher across aggregator instances.
 *
 * Guarantees:
 * - `onAcquire(p)` is called only after the store granted the lease, and `onLose(p)` is called
 *   before the lease can have expired in the store: on a failed or erroring renewal, when no
 *   renewal has succeeded for `ttlMs - renewEveryMs / 2` (renewals that hang), and on `stop()`
 *   before release. A process paused for longer than that cannot be protected by any lease.
 *   Preferring no publisher for a few seconds over two, a store error loses the partition;
 * - calls for one partition alternate: acquire, lose, acquire...;
 * - rounds never overlap, and each makes at most `partitions` store calls.
 */
export class PartitionLeaser {
  readonly stats: PartitionLeaserStats = { acquired: 0, lost: 0, errors: 0 };
  readonly #o: Required<Omit<PartitionLeaserOptions, 'onError' | 'now' | 'onRenew'>>;
  readonly #onRenew: (partition: number, epoch: number) => void;
  readonly #onError: (error: unknown, where: string) => void;
  readonly #now: () => number;
  /** Held partitions and when, by our clock, to give them up unless renewed. */
  readonly #held = new Map<number, number>();
  readonly #offset: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;

  constructor(options: PartitionLeaserOptions) {
    const { partitions } = options;
    const ttlMs = options.ttlMs ?? 3000;
    const maxPartitions = options.maxPartitions ?? partitions;
    const renewEveryMs = options.renewEveryMs ?? ttlMs / 3;
    if (!Number.isInteger(partitions) || partitions <= 0) {
      throw new RangeError(
        `leaser option partitions must be a positive integer, got ${partitions}`,
      );
    }
    if (!Number.isInteger(maxPartitions) || maxPartitions <= 0) {
      throw new RangeError(
        `leaser option maxPartitions must be a positive integer, got ${maxPartitions}`,
      );
    }
    // A renewal must be able to succeed before the previous one's deadline (ttl - renewEvery).
    if (!(ttlMs > 0) || !(renewEveryMs > 0) || renewEveryMs * 2 > ttlMs) {
      throw new RangeError(
        `leaser options need 0 < renewEveryMs (${renewEveryMs}) <= ttlMs (${ttlMs}) / 2`,
      );
    }
    this.#o = { ...options, maxPartitions, ttlMs, renewEveryMs };
    this.#onError = options.onError ?? (() => undefined);
    this.#onRenew = options.onRenew ?? (() => undefined);
    this.#now = options.now ?? (() => Date.now());
    // Instances start their search at different partitions, so that with maxPartitions below
    // partitions they spread out instead of all contending for partition 0.
    this.#offset = partitionOf(options.owner, partitions);
  }

  /** Partitions held now, ascending. */
  get held(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  /** Runs a round now and then every `renewEveryMs` until `stop()`. Idempotent. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.renew(), this.#o.renewEveryMs);
    // Checks twice per renewal period, so a partition whose renewals hang is given up at least
    // renewEveryMs / 2 before its lease can expire in the store.
    this.#watchdog = setInterval(() => this.#dropOverdue(), this.#o.renewEveryMs / 2);
    void this.renew();
  }

  /**
   * One round: drops leases that may have run out, renews the held ones and tries free ones
   * while fewer than `maxPartitions` are held. Returns the running round if there is one.
   */
  renew(): Promise<void> {
    this.#dropOverdue();
    this.#round ??= this.#runRound().finally(() => (this.#round = undefined));
    return this.#round;
  }

  /** Stops renewing, calls `onLose` for every held partition, then releases their leases. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#watchdog);
    this.#timer = undefined;
    await this.#round;
    const held = this.held;
    for (const p of held) this.#lose(p);
    await Promise.all(
      held.map(async (p) => {
        try {
          await this.#o.leases.release(partitionLeaseName(p), this.#o.owner);
        } catch (error) {
          this.#error(error, 'release');
        }
      }),
    );
  }

  async #runRound(): Promise<void> {
    const { leases, owner, partitions, maxPartitions } = this.#o;
    const deadline = (sentAt: number): number => sentAt + this.#o.ttlMs - this.#o.renewEveryMs;
    // A partition just lost is not taken back in the same round: its new owner needs a chance.
    const lost = new Set<number>();
    await Promise.all(
      this.held.map(async (p) => {
        const sentAt = this.#now();
        const epoch = await this.#acquire(p);
        if (this.#stopped || !this.#held.has(p)) return;
        if (epoch > 0) {
          this.#held.set(p, deadline(sentAt));
          this.#call(() => this.#onRenew(p, epoch), 'onRenew');
        } else {
          lost.add(p);
          this.#lose(p);
        }
      }),
    );
    for (let i = 0; i < partitions && this.#held.size < maxPartitions && !this.#stopped; i++) {
      const p = (this.#offset + i) % partitions;
      if (this.#held.has(p) || lost.has(p)) continue;
      const sentAt = this.#now();
      const epoch = await this.#acquire(p);
      if (epoch === 0) continue;
      if (this.#stopped) {
        await leases
          .release(partitionLeaseName(p), owner)
          .catch((e: unknown) => this.#error(e, 'release'));
        return;
      }
      this.#held.set(p, deadline(sentAt));
      this.stats.acquired++;
      this.#call(() => this.#o.onAcquire(p, epoch), 'onAcquire');
    }
  }

  /** The lease epoch, or 0 when refused or on error. */
  async #acquire(p: number): Promise<number> {
    try {
      return await this.#o.leases.acquire(partitionLeaseName(p), this.#o.owner, this.#o.ttlMs);
    } catch (error) {
      this.#error(error, 'acquire');
      return 0;
    }
  }

  /** A renewal that hangs must not leave us publishing past the lease's end in the store. */
  #dropOverdue(): void {
    const now = this.#now();
    for (const [p, until] of this.#held) if (now >= until) this.#lose(p);
  }

  #lose(p: number): void {
    if (!this.#held.delete(p)) return;
    this.stats.lost++;
    this.#call(() => this.#o.onLose(p), 'onLose');
  }

  #call(callback: () => void, where: string): void {
    try {
      callback();
    } catch (error) {
      this.#error(error, where);
    }
  }

  #error(error: unknown, where: string): void {
    this.stats.errors++;
    this.#onError(error, where);
  }
}
