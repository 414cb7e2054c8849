import type { StreamSettings } from '@roar/protocol';
import type { HistoryEntry } from './store.js';

/** `'*'` is the scope of service-wide bans and audit entries. */
export type Scope = string;
export const GLOBAL_SCOPE = '*';

/** A ban in one stream or everywhere. A timeout is a ban with an end. */
export interface Ban {
  userId: string;
  scope: Scope;
  /** When it ends (ms since the epoch), or null for a permanent ban. */
  until: number | null;
  reason: string;
  /** Who issued it (user id or API key name). */
  by: string;
  /** When it was issued. */
  at: number;
}

/**
 * Per-stream chat rules, defined once in `@roar/protocol`; the store keeps only what a moderator
 * set (a `Partial`), the defaults come from the gateway's config.
 */
export type { StreamSettings };

export interface AuditEntry {
  /** Assigned by the store, increasing within a scope. */
  id: string;
  at: number;
  scope: Scope;
  /** Who acted: a user id, or `key:<name>` for an API key. */
  actor: string;
  action: string;
  /** The user or message acted on. */
  target?: string;
  reason?: string;
  details?: Record<string, unknown>;
}

/** A chat message waiting for a moderator (held by a check, or by the non-moderator delay). */
export interface HeldMessage extends HistoryEntry {
  stream: string;
  at: number;
  /** Why it is held (the rule or check that held it). */
  reason: string;
}

/** Bans and timeouts per scope (a stream, or `GLOBAL_SCOPE`). */
export interface BanStore {
  /** Creates or replaces the ban of `userId` in `scope`. */
  putBan(ban: Ban): Promise<void>;
  /** Removes a ban; true when there was one. */
  removeBan(scope: Scope, userId: string): Promise<boolean>;
  /** Bans in `scope` that have not ended at `now`, oldest first; ended ones are not returned. */
  listBans(scope: Scope, now: number): Promise<Ban[]>;
}

/** The chat rules a moderator changed, per stream; the defaults are not stored. */
export interface SettingsStore {
  /** The settings a moderator stored for `stream` (only the fields set), or undefined. */
  getSettings(stream: string): Promise<Partial<StreamSettings> | undefined>;
  /** Replaces the stored settings of `stream`; nothing is merged. */
  putSettings(stream: string, settings: Partial<StreamSettings>): Promise<void>;
}

/** At most one pinned message per stream, kept with its bytes exactly. */
export interface PinStore {
  /** Pins a message (its stored bytes), or unpins with null. */
  setPin(stream: string, entry: HistoryEntry | null): Promise<void>;
  getPin(stream: string): Promise<HistoryEntry | undefined>;
}

/** What moderators did, per scope, capped at `auditCapacity` entries (oldest dropped first). */
export interface AuditLog {
  /** Appends an audit entry (the store assigns `id`); keeps at most `auditCapacity` per scope. */
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  /** Newest first; `before` (an id) pages back. */
  listAudit(scope: Scope, limit: number, before?: string): Promise<AuditEntry[]>;
}

/** Messages waiting for a moderator, per stream, at most `heldCapacity` (oldest dropped first). */
export interface HeldQueue {
  /** Puts a message in its stream's held queue; holding an id again replaces it as the newest. */
  hold(message: HeldMessage): Promise<void>;
  /** Held messages of a stream, oldest first. */
  listHeld(stream: string): Promise<HeldMessage[]>;
  /** Removes and returns one held message; only one caller ever gets it, across all callers. */
  takeHeld(stream: string, id: string): Promise<HeldMessage | undefined>;
}

/** Idempotency keys of admin actions: a replayed action is refused while its claim lasts. */
export interface RequestClaims {
  /** True the first time `key` is claimed within `ttlMs`, exactly once across all callers. */
  claimRequest(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Gives a claimed key back, so that it can be claimed again at once: an admin action that
   * failed does not use up its Idempotency-Key. Releasing a key that is not claimed is a no-op.
   */
  releaseRequest(key: string): Promise<void>;
}

/** Tells a store that kept its data from one that lost it. */
export interface GenerationMarker {
  /**
   * The store's generation marker: `candidate` is written when there is none, and the marker in
   * force is returned (`created` when this call wrote it). It never expires, so a marker that is
   * missing or different from the one seen before means the store lost its data (Redis restarted
   * without persistence, or was flushed) and every ban and rule in it with them.
   */
  generation(candidate: string): Promise<{ id: string; created: boolean }>;
}

/**
 * Moderation state: Redis holds the truth, gateways cache it. It is the seven parts above
 * together, so a component that needs one job can take just that part (a `BanStore`, say).
 * Every method is atomic on its own; `takeHeld` and `claimRequest` are exactly-once across all
 * callers.
 */
export interface ModerationStore
  extends BanStore, SettingsStore, PinStore, AuditLog, HeldQueue, RequestClaims, GenerationMarker {}

/** The parts a `ModerationStore` is made of, one per job. */
export interface ModerationParts {
  bans: BanStore;
  settings: SettingsStore;
  pins: PinStore;
  audit: AuditLog;
  held: HeldQueue;
  claims: RequestClaims;
  generation: GenerationMarker;
}

/** One `ModerationStore` over its parts: each call goes to the part that owns the job. */
export function composeModeration(parts: ModerationParts): ModerationStore {
  const { bans, settings, pins, audit, held, claims, generation } = parts;
  return {
    putBan: (ban) => bans.putBan(ban),
    removeBan: (scope, userId) => bans.removeBan(scope, userId),
    listBans: (scope, now) => bans.listBans(scope, now),
    getSettings: (stream) => settings.getSettings(stream),
    putSettings: (stream, value) => settings.putSettings(stream, value),
    setPin: (stream, entry) => pins.setPin(stream, entry),
    getPin: (stream) => pins.getPin(stream),
    appendAudit: (entry) => audit.appendAudit(entry),
    listAudit: (scope, limit, before) => audit.listAudit(scope, limit, before),
    hold: (message) => held.hold(message),
    listHeld: (stream) => held.listHeld(stream),
    takeHeld: (stream, id) => held.takeHeld(stream, id),
    claimRequest: (key, ttlMs) => claims.claimRequest(key, ttlMs),
    releaseRequest: (key) => claims.releaseRequest(key),
    generation: (candidate) => generation.generation(candidate),
  };
}
