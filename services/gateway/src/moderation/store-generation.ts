import { GLOBAL_SCOPE, type Store } from '@roar/store';
import { randomUUID } from 'node:crypto';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { BanList } from './rules/stream-moderation.js';

export interface StoreGenerationOptions {
  store: Store;
  registry: StreamRegistry;
  globalBans: BanList;
  gatewayId: string;
  now: () => number;
}

/** What a check of the marker found. */
export type GenerationCheck =
  /** The marker this gateway saw before (or, on its first check, one already there). */
  | { state: 'same'; id: string }
  /** This gateway's first check wrote the marker: a new store, or one that lost its data. */
  | { state: 'fresh'; id: string }
  /** The marker vanished or changed since this gateway last saw it: the store lost its data. */
  | { state: 'lost'; id: string; previous: string };

/** The reason written on bans a gateway puts back. */
export const RESTORED_REASON = 'restored by a gateway after Redis lost its data';

/**
 * Tells a store that lost its data (Redis restarted without persistence, or flushed) from one
 * that did not, by its generation marker (`ModerationStore.generation`), and writes back what
 * this gateway knew when it did. A gateway's caches are then the only copy of the bans and rules
 * it held; dropping them would let every banned user chat again. What is restored: global bans
 * and, for each stream held here on confirmed rules, its bans, its settings and its pin. What
 * cannot be: the bans and rules of streams no surviving gateway held, and the audit log.
 */
export class StoreGeneration {
  readonly #o: StoreGenerationOptions;
  #known: string | undefined;

  constructor(options: StoreGenerationOptions) {
    this.#o = options;
  }

  /** Reads (or creates) the marker; a `lost` result is adopted only by `adopt`, after a restore. */
  async check(): Promise<GenerationCheck> {
    const { id, created } = await this.#o.store.moderation.generation(randomUUID());
    const previous = this.#known;
    if (previous === undefined) {
      this.#known = id;
      return created ? { state: 'fresh', id } : { state: 'same', id };
    }
    if (id === previous) return { state: 'same', id };
    return { state: 'lost', id, previous };
  }

  adopt(id: string): void {
    this.#known = id;
  }

  /**
   * Writes back every ban and rule this gateway holds as confirmed, and a `restore` entry in the
   * global audit log; rejects if a write fails. Gateways that disagree about a stream's settings
   * (one missed a change) each write theirs: the last write wins.
   */
  async restore(): Promise<{ globalBans: number; streams: number; streamBans: number }> {
    const { store, registry, globalBans, gatewayId } = this.#o;
    const now = this.#o.now();
    const by = `gateway:${gatewayId}`;
    const writes: Promise<unknown>[] = [];
    const ban = (scope: string, userId: string, until: number | null): void => {
      writes.push(
        store.moderation.putBan({ userId, scope, until, reason: RESTORED_REASON, by, at: now }),
      );
    };
    let global = 0;
    if (globalBans.loaded) {
      for (const b of globalBans.current(now)) ban(GLOBAL_SCOPE, b.userId, b.until);
      global = globalBans.current(now).length;
    }
    let streams = 0;
    let streamBans = 0;
    for (const state of registry.values()) {
      // Provisional rules are defaults, not knowledge: writing them would overwrite the truth.
      if (state.mod.provisional) continue;
      streams++;
      for (const b of state.mod.bans.current(now)) {
        ban(state.id, b.userId, b.until);
        streamBans++;
      }
      if (Object.keys(state.mod.overrides).length > 0)
        writes.push(store.moderation.putSettings(state.id, state.mod.overrides));
      const pinned = state.mod.pinned;
      if (pinned) {
        writes.push(
          store.moderation.setPin(state.id, { id: pinned.event.id, bytes: pinned.msgpack }),
        );
      }
    }
    await Promise.all(writes);
    const restored = { globalBans: global, streams, streamBans };
    // The audit log was lost with the rest; its first entry says where the bans came from.
    await store.moderation.appendAudit({
      at: now,
      scope: GLOBAL_SCOPE,
      actor: by,
      action: 'restore',
      reason: RESTORED_REASON,
      details: restored,
    });
    return restored;
  }
}
