import type { ViewerCount } from '@roar/protocol';
import { banEnded, byIssue } from './bans.js';
import type {
  AuditEntry,
  Ban,
  HeldMessage,
  ModerationStore,
  Scope,
  StreamSettings,
} from './moderation.js';
import {
  badRates,
  storeDefaults,
  type ChatHistory,
  type HistoryEntry,
  type Leases,
  type Store,
  type StoreOptions,
  type StreamRates,
  type StreamStats,
  type UniqueCounter,
} from './store.js';

class MemoryHistory implements ChatHistory {
  readonly #streams = new Map<string, HistoryEntry[]>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async append(stream: string, entries: readonly HistoryEntry[]): Promise<void> {
    let list = this.#streams.get(stream);
    if (!list) this.#streams.set(stream, (list = []));
    list.push(...entries);
    if (list.length > this.#capacity) list.splice(0, list.length - this.#capacity);
  }

  async recent(stream: string, limit: number): Promise<HistoryEntry[]> {
    const list = this.#streams.get(stream) ?? [];
    return limit <= 0 ? [] : list.slice(-limit);
  }

  async remove(stream: string, id: string): Promise<boolean> {
    const list = this.#streams.get(stream);
    const i = list?.findIndex((e) => e.id === id) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  async clear(stream: string): Promise<void> {
    this.#streams.delete(stream);
  }
}

/** Exact sets: the embedded mode holds one process's viewers, where exactness costs little. */
class MemoryUniques implements UniqueCounter {
  readonly #sets = new Map<string, Set<string>>();

  async add(stream: string, ids: readonly string[]): Promise<void> {
    let set = this.#sets.get(stream);
    if (!set) this.#sets.set(stream, (set = new Set()));
    for (const id of ids) set.add(id);
  }

  async count(stream: string): Promise<number> {
    return this.#sets.get(stream)?.size ?? 0;
  }
}

class MemoryStats implements StreamStats {
  readonly #peaks = new Map<string, number>();
  /** Highest write epoch seen per stream (the fence of `saveTotals`). */
  readonly #epochs = new Map<string, number>();
  readonly #totals = new Map<string, ViewerCount>();
  readonly #rates = new Map<string, StreamRates>();

  /** False when a write of a higher epoch came first; otherwise records `epoch`. */
  #fence(stream: string, epoch = 0): boolean {
    if (!(epoch > 0)) return true;
    const seen = this.#epochs.get(stream) ?? 0;
    if (epoch < seen) return false;
    this.#epochs.set(stream, epoch);
    return true;
  }

  async raisePeak(stream: string, value: number, epoch?: number): Promise<number> {
    if (!this.#fence(stream, epoch)) return this.#peaks.get(stream) ?? 0;
    const peak = Math.max(this.#peaks.get(stream) ?? 0, value);
    this.#peaks.set(stream, peak);
    return peak;
  }

  async peak(stream: string): Promise<number> {
    return this.#peaks.get(stream) ?? 0;
  }

  async saveTotals(stream: string, totals: ViewerCount, epoch?: number): Promise<boolean> {
    if (!this.#fence(stream, epoch)) return false;
    this.#totals.set(stream, { ...totals });
    return true;
  }

  async totals(stream: string): Promise<ViewerCount | undefined> {
    const t = this.#totals.get(stream);
    return t && { ...t };
  }

  async saveRates(stream: string, rates: StreamRates, epoch?: number): Promise<boolean> {
    const error = badRates(rates);
    if (error) throw error;
    if (!this.#fence(stream, epoch)) return false;
    const { chatPerS, reactionsPerS, at } = rates;
    this.#rates.set(stream, { chatPerS, reactionsPerS, at });
    return true;
  }

  async rates(stream: string): Promise<StreamRates | undefined> {
    const r = this.#rates.get(stream);
    return r && { ...r };
  }
}

class MemoryLeases implements Leases {
  readonly #leases = new Map<string, { owner: string; until: number; epoch: number }>();
  #lastEpoch = 0;

  async acquire(name: string, owner: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    const lease = this.#leases.get(name);
    const held = lease !== undefined && lease.until > now;
    if (held && lease.owner !== owner) return 0;
    // The same rule as Redis's: a new holding opens a new, higher epoch.
    const epoch = held ? lease.epoch : (this.#lastEpoch = Math.max(this.#lastEpoch + 1, now));
    this.#leases.set(name, { owner, until: now + ttlMs, epoch });
    return epoch;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    const lease = this.#leases.get(name);
    return lease && lease.until > Date.now() ? lease.owner : undefined;
  }
}

const copyEntry = ({ id, bytes }: HistoryEntry): HistoryEntry => ({ id, bytes: bytes.slice() });

/** Fixed width, so that comparing ids as strings compares them as numbers. */
const auditId = (seq: number): string => String(seq).padStart(16, '0');

/**
 * Everything is copied in and out, so that a caller mutating what it passed or got back cannot
 * change what the store holds, as it cannot with Redis.
 */
class MemoryModeration implements ModerationStore {
  readonly #bans = new Map<Scope, Map<string, Ban>>();
  readonly #settings = new Map<string, Partial<StreamSettings>>();
  readonly #pins = new Map<string, HistoryEntry>();
  readonly #audit = new Map<Scope, { seq: number; entries: AuditEntry[] }>();
  readonly #held = new Map<string, Map<string, HeldMessage>>();
  readonly #claims = new Map<string, number>();
  /** Claims are swept when the map outgrows this, so expired ones cannot pile up. */
  #sweepClaimsAt = 1024;
  #generation: string | undefined;
  readonly #auditCapacity: number;
  readonly #heldCapacity: number;

  constructor(auditCapacity: number, heldCapacity: number) {
    this.#auditCapacity = auditCapacity;
    this.#heldCapacity = heldCapacity;
  }

  async putBan(ban: Ban): Promise<void> {
    let bans = this.#bans.get(ban.scope);
    if (!bans) this.#bans.set(ban.scope, (bans = new Map()));
    bans.set(ban.userId, { ...ban });
  }

  async removeBan(scope: Scope, userId: string): Promise<boolean> {
    return this.#bans.get(scope)?.delete(userId) ?? false;
  }

  async listBans(scope: Scope, now: number): Promise<Ban[]> {
    const bans = this.#bans.get(scope);
    if (!bans) return [];
    // Forgets only bans that have ended by the clock too, so a `now` ahead of it (a test, a
    // preview) cannot delete bans that still hold for everyone else.
    const cutoff = Math.min(now, Date.now());
    for (const [userId, ban] of bans) if (banEnded(ban, cutoff)) bans.delete(userId);
    return [...bans.values()]
      .filter((ban) => !banEnded(ban, now))
      .sort(byIssue)
      .map((ban) => ({ ...ban }));
  }

  async getSettings(stream: string): Promise<Partial<StreamSettings> | undefined> {
    const settings = this.#settings.get(stream);
    return settings && structuredClone(settings);
  }

  async putSettings(stream: string, settings: Partial<StreamSettings>): Promise<void> {
    this.#settings.set(stream, structuredClone(settings));
  }

  async setPin(stream: string, entry: HistoryEntry | null): Promise<void> {
    if (entry) this.#pins.set(stream, copyEntry(entry));
    else this.#pins.delete(stream);
  }

  async getPin(stream: string): Promise<HistoryEntry | undefined> {
    const pin = this.#pins.get(stream);
    return pin && copyEntry(pin);
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    let log = this.#audit.get(entry.scope);
    if (!log) this.#audit.set(entry.scope, (log = { seq: 0, entries: [] }));
    const stored: AuditEntry = { ...structuredClone(entry), id: auditId(++log.seq) };
    log.entries.push(stored);
    if (log.entries.length > this.#auditCapacity) {
      log.entries.splice(0, log.entries.length - this.#auditCapacity);
    }
    return structuredClone(stored);
  }

  async listAudit(scope: Scope, limit: number, before?: string): Promise<AuditEntry[]> {
    const entries = this.#audit.get(scope)?.entries ?? [];
    if (!(limit > 0)) return [];
    const older = before === undefined ? entries : entries.filter((e) => e.id < before);
    return older
      .slice(-limit)
      .reverse()
      .map((e) => structuredClone(e));
  }

  async hold(message: HeldMessage): Promise<void> {
    let held = this.#held.get(message.stream);
    if (!held) this.#held.set(message.stream, (held = new Map()));
    // Holding an id again replaces it and makes it the newest, as in Redis.
    held.delete(message.id);
    held.set(message.id, copyHeld(message));
    for (const id of held.keys()) {
      if (held.size <= this.#heldCapacity) break;
      held.delete(id);
    }
  }

  async listHeld(stream: string): Promise<HeldMessage[]> {
    return [...(this.#held.get(stream)?.values() ?? [])].map(copyHeld);
  }

  async takeHeld(stream: string, id: string): Promise<HeldMessage | undefined> {
    const held = this.#held.get(stream);
    const message = held?.get(id);
    held?.delete(id);
    return message;
  }

  async releaseRequest(key: string): Promise<void> {
    this.#claims.delete(key);
  }

  async claimRequest(key: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`claim ttlMs must be a positive number, got ${ttlMs}`);
    }
    const now = Date.now();
    const until = this.#claims.get(key);
    if (until !== undefined && until > now) return false;
    this.#claims.set(key, now + ttlMs);
    if (this.#claims.size > this.#sweepClaimsAt) {
      for (const [k, u] of this.#claims) if (u <= now) this.#claims.delete(k);
      // Doubling keeps the sweeps' cost proportional to the claims made.
      this.#sweepClaimsAt = Math.max(1024, this.#claims.size * 2);
    }
    return true;
  }

  async generation(candidate: string): Promise<{ id: string; created: boolean }> {
    if (this.#generation !== undefined) return { id: this.#generation, created: false };
    this.#generation = candidate;
    return { id: candidate, created: true };
  }
}

function copyHeld({ id, bytes, stream, at, reason }: HeldMessage): HeldMessage {
  return { id, bytes: bytes.slice(), stream, at, reason };
}

/** The in-process store of the embedded mode and of unit tests. */
export function createMemoryStore(options: StoreOptions): Store {
  return {
    history: new MemoryHistory(options.historyCapacity),
    uniques: new MemoryUniques(),
    stats: new MemoryStats(),
    leases: new MemoryLeases(),
    moderation: new MemoryModeration(
      options.auditCapacity ?? storeDefaults.auditCapacity,
      options.heldCapacity ?? storeDefaults.heldCapacity,
    ),
    async close() {},
  };
}
