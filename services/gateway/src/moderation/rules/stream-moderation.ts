import type { ChatEvent, EncodedEvent } from '@roar/protocol';
import type { Ban, StreamSettings } from '@roar/store';
import { effectiveSettings } from './settings.js';
import { TermMatcher } from './term-matcher.js';
import { sameMessageKey } from './text-match.js';

/** How long a repeat of a user's own message counts as a duplicate. */
export const DUPLICATE_WINDOW_MS = 30_000;
/** Unique-chat mode compares with the stream's messages of this long. */
export const UNIQUE_WINDOW_MS = 60_000;
const UNIQUE_KEEP = 200;

/**
 * Bans by user: when they end, or null for never. `loaded` stays false until a list read from the
 * store replaced it once: until then the list is not known to be complete.
 */
export class BanList {
  readonly #bans = new Map<string, number | null>();
  #loaded = false;
  #changes = 0;

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Bumped by every ban and unban heard as news, so a load can tell it raced one. */
  get changes(): number {
    return this.#changes;
  }

  replace(bans: readonly Ban[]): void {
    this.#bans.clear();
    for (const b of bans) this.#bans.set(b.userId, b.until);
    this.#loaded = true;
  }

  set(userId: string, until: number | null): void {
    this.#changes++;
    this.#bans.set(userId, until);
  }

  delete(userId: string): void {
    this.#changes++;
    this.#bans.delete(userId);
  }

  /** The bans in force at `now`, to write back to a store that lost them. */
  current(now: number): { userId: string; until: number | null }[] {
    const out: { userId: string; until: number | null }[] = [];
    for (const [userId, until] of this.#bans)
      if (until === null || until > now) out.push({ userId, until });
    return out;
  }

  /** The ban in force at `now`: `{until}` (null = permanent), or undefined. */
  check(userId: string, now: number): { until: number | null } | undefined {
    if (!this.#bans.has(userId)) return undefined;
    const until = this.#bans.get(userId) ?? null;
    if (until !== null && until <= now) {
      this.#bans.delete(userId);
      return undefined;
    }
    return { until };
  }
}

/** What a load read from the store for one stream. */
export interface ModerationSnapshot {
  overrides: Partial<StreamSettings> | undefined;
  bans: readonly Ban[];
  pinned: EncodedEvent<ChatEvent> | undefined;
}

/**
 * A gateway's cached view of one stream's moderation: the rules in force, its bans, the pinned
 * message, and the little per-user memory slow mode and duplicate checks need. Redis holds the
 * truth; this is loaded when the stream opens here and kept current by control events.
 *
 * Until a load from the store succeeded the rules are `provisional` (the defaults, plus whatever
 * control news arrived): they may lack a ban or a mode, so the chat policy refuses
 * non-privileged chat on them rather than enforce rules it does not know.
 */
export class StreamModeration {
  #settings: StreamSettings;
  #overrides: Partial<StreamSettings> = {};
  #terms: TermMatcher;
  readonly bans = new BanList();
  #pinned: EncodedEvent<ChatEvent> | undefined;
  readonly #defaults: StreamSettings;
  readonly #lastByUser = new Map<string, { at: number; key: string }>();
  /** The stream's recent message keys, oldest first, with when each was last said. */
  readonly #recent = new Map<string, number>();
  #settingsChanges = 0;
  #confirmed = false;

  constructor(defaults: StreamSettings) {
    this.#defaults = defaults;
    this.#settings = defaults;
    this.#terms = new TermMatcher([]);
  }

  /** The rules in force: the defaults with the moderators' overrides. */
  get settings(): StreamSettings {
    return this.#settings;
  }

  /** What moderators changed from the defaults (what the store keeps). */
  get overrides(): Readonly<Partial<StreamSettings>> {
    return this.#overrides;
  }

  /** The banned terms of `settings`, compiled. */
  get terms(): TermMatcher {
    return this.#terms;
  }

  get pinned(): EncodedEvent<ChatEvent> | undefined {
    return this.#pinned;
  }

  /** True until the rules were read from the store once. */
  get provisional(): boolean {
    return !this.#confirmed;
  }

  /** Bumped by every piece of control news, so a load can tell it raced one. */
  get changes(): number {
    return this.#settingsChanges + this.bans.changes;
  }

  /** The pinned message changed (a moderator pinned one, or unpinned: undefined). */
  pin(message: EncodedEvent<ChatEvent> | undefined): void {
    this.#pinned = message;
  }

  /** Installs rules read from the store; they are no longer provisional. */
  confirm(snapshot: ModerationSnapshot): void {
    this.#setOverrides(snapshot.overrides);
    this.bans.replace(snapshot.bans);
    this.#pinned = snapshot.pinned;
    this.#confirmed = true;
  }

  /** New rules from a moderator (control news). */
  changeSettings(overrides: Partial<StreamSettings> | undefined): void {
    this.#settingsChanges++;
    this.#setOverrides(overrides);
  }

  #setOverrides(overrides: Partial<StreamSettings> | undefined): void {
    this.#overrides = { ...(overrides ?? {}) };
    const previous = this.#settings.bannedTerms;
    this.#settings = effectiveSettings(this.#defaults, overrides);
    if (previous !== this.#settings.bannedTerms)
      this.#terms = new TermMatcher(this.#settings.bannedTerms);
  }

  /** Milliseconds since this user's last message here (Infinity if none), and whether it was the same text. */
  lastMessage(userKey: string, key: string, now: number): { sinceMs: number; same: boolean } {
    const last = this.#lastByUser.get(userKey);
    if (!last) return { sinceMs: Infinity, same: false };
    return { sinceMs: now - last.at, same: last.key === key };
  }

  /** True when the same text went to this stream within the unique-chat window. */
  seenRecently(key: string, now: number): boolean {
    // One hash lookup: comparing with each of 200 keys cost up to 200 × 500 characters.
    const at = this.#recent.get(key);
    return at !== undefined && now - at < UNIQUE_WINDOW_MS;
  }

  /**
   * Remembers an accepted message for slow mode and duplicate checks; `key` is its
   * `sameMessageKey` when the checks computed it already.
   */
  remember(userKey: string, text: string, now: number, key = sameMessageKey(text)): void {
    this.#lastByUser.set(userKey, { at: now, key });
    this.#recent.delete(key);
    this.#recent.set(key, now);
    if (this.#recent.size > UNIQUE_KEEP)
      this.#recent.delete(this.#recent.keys().next().value as string);
  }

  /** Forgets users quiet for longer than any rule looks back. */
  sweep(now: number): void {
    const keep = Math.max(DUPLICATE_WINDOW_MS, this.#settings.slowModeS * 1000);
    for (const [user, last] of this.#lastByUser)
      if (now - last.at > keep) this.#lastByUser.delete(user);
  }
}
