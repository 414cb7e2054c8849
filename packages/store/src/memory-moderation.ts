import { banEnded, byIssue } from './bans.js';
import {
  composeModeration,
  type AuditEntry,
  type AuditLog,
  type Ban,
  type BanStore,
  type GenerationMarker,
  type HeldMessage,
  type HeldQueue,
  type ModerationStore,
  type PinStore,
  type RequestClaims,
  type Scope,
  type SettingsStore,
  type StreamSettings,
} from './moderation.js';
import type { HistoryEntry } from './store.js';

// Everything is copied in and out, so that a caller mutating what it passed or got back cannot
// change what the store holds, as it cannot with Redis.

const copyEntry = ({ id, bytes }: HistoryEntry): HistoryEntry => ({ id, bytes: bytes.slice() });

function copyHeld({ id, bytes, stream, at, reason }: HeldMessage): HeldMessage {
  return { id, bytes: bytes.slice(), stream, at, reason };
}

/** Fixed width, so that comparing ids as strings compares them as numbers. */
const auditId = (seq: number): string => String(seq).padStart(16, '0');

class MemoryBans implements BanStore {
  readonly #bans = new Map<Scope, Map<string, Ban>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
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
    const cutoff = Math.min(now, this.#now());
    for (const [userId, ban] of bans) if (banEnded(ban, cutoff)) bans.delete(userId);
    return [...bans.values()]
      .filter((ban) => !banEnded(ban, now))
      .sort(byIssue)
      .map((ban) => ({ ...ban }));
  }
}

class MemorySettings implements SettingsStore {
  readonly #settings = new Map<string, Partial<StreamSettings>>();

  async getSettings(stream: string): Promise<Partial<StreamSettings> | undefined> {
    const settings = this.#settings.get(stream);
    return settings && structuredClone(settings);
  }

  async putSettings(stream: string, settings: Partial<StreamSettings>): Promise<void> {
    this.#settings.set(stream, structuredClone(settings));
  }
}

class MemoryPins implements PinStore {
  readonly #pins = new Map<string, HistoryEntry>();

  async setPin(stream: string, entry: HistoryEntry | null): Promise<void> {
    if (entry) this.#pins.set(stream, copyEntry(entry));
    else this.#pins.delete(stream);
  }

  async getPin(stream: string): Promise<HistoryEntry | undefined> {
    const pin = this.#pins.get(stream);
    return pin && copyEntry(pin);
  }
}

class MemoryAudit implements AuditLog {
  readonly #audit = new Map<Scope, { seq: number; entries: AuditEntry[] }>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    let log = this.#audit.get(entry.scope);
    if (!log) this.#audit.set(entry.scope, (log = { seq: 0, entries: [] }));
    const stored: AuditEntry = { ...structuredClone(entry), id: auditId(++log.seq) };
    log.entries.push(stored);
    if (log.entries.length > this.#capacity) {
      log.entries.splice(0, log.entries.length - this.#capacity);
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
}

class MemoryHeld implements HeldQueue {
  readonly #held = new Map<string, Map<string, HeldMessage>>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async hold(message: HeldMessage): Promise<void> {
    let held = this.#held.get(message.stream);
    if (!held) this.#held.set(message.stream, (held = new Map()));
    // Holding an id again replaces it and makes it the newest, as in Redis.
    held.delete(message.id);
    held.set(message.id, copyHeld(message));
    for (const id of held.keys()) {
      if (held.size <= this.#capacity) break;
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
}

class MemoryClaims implements RequestClaims {
  readonly #claims = new Map<string, number>();
  readonly #now: () => number;
  /** Claims are swept when the map outgrows this, so expired ones cannot pile up. */
  #sweepClaimsAt = 1024;

  constructor(now: () => number) {
    this.#now = now;
  }

  async releaseRequest(key: string): Promise<void> {
    this.#claims.delete(key);
  }

  async claimRequest(key: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new RangeError(`claim ttlMs must be a positive number, got ${ttlMs}`);
    }
    const now = this.#now();
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
}

class MemoryGeneration implements GenerationMarker {
  #generation: string | undefined;

  async generation(candidate: string): Promise<{ id: string; created: boolean }> {
    if (this.#generation !== undefined) return { id: this.#generation, created: false };
    this.#generation = candidate;
    return { id: candidate, created: true };
  }
}

export interface MemoryModerationOptions {
  auditCapacity: number;
  heldCapacity: number;
  /** The clock claims run out by and ended bans are forgotten by (ms since the epoch). */
  now: () => number;
}

/** `ModerationStore` in one process's memory: the embedded mode's and unit tests'. */
export function createMemoryModeration(options: MemoryModerationOptions): ModerationStore {
  return composeModeration({
    bans: new MemoryBans(options.now),
    settings: new MemorySettings(),
    pins: new MemoryPins(),
    audit: new MemoryAudit(options.auditCapacity),
    held: new MemoryHeld(options.heldCapacity),
    claims: new MemoryClaims(options.now),
    generation: new MemoryGeneration(),
  });
}
