import type { StateEntry, StateEvent } from '@roar/protocol';
import { STATE_TOMBSTONES, type StoredState } from '@roar/store';

/**
 * One stream's live state as this gateway holds it: loaded from the store when the stream opens,
 * kept current by the `widget` subject, read by every joiner (snapshot or delta) without a store
 * call. Changes are applied per key by version, so a write heard twice, late, or both from the
 * store load and the bus lands once and never goes backwards.
 */
export class StateCache {
  /** Live keys and tombstones (deleted keys, kept so deltas can say they went). */
  readonly #entries = new Map<string, StateEntry>();
  #version = 0;
  /** Deltas from below this version are incomplete (see `StoredState.floor`). */
  #floor = 0;
  #tombstones = 0;
  /** The store load succeeded: before that (or after it failed) no delta is trusted. */
  loaded = false;

  get version(): number {
    return this.#version;
  }

  /**
   * Folds in the stored state; entries newer here (heard on the bus meanwhile) are kept. Returns
   * the entries that were new here (a reload after a lost bus message), or undefined.
   */
  load(stored: StoredState): StateEvent | undefined {
    let fresh: Record<string, StateEntry> | undefined;
    for (const [key, e] of stored.entries) {
      const entry: StateEntry =
        e.json === undefined
          ? { version: e.version, ts: e.ts, deleted: true }
          : { version: e.version, ts: e.ts, value: JSON.parse(e.json) as unknown };
      if (this.#put(key, entry)) (fresh ??= {})[key] = entry;
    }
    // The store's floor holds for what it returned; a higher one from the bus is not raised.
    this.#floor = Math.max(this.#floor, stored.floor);
    if (stored.version > this.#version) this.#version = stored.version;
    const first = !this.loaded;
    this.loaded = true;
    // The first load is what joiners' snapshots are made of; only a reload has news to push.
    return fresh && !first ? { type: 'state', version: this.#version, changes: fresh } : undefined;
  }

  /**
   * Applies the changes of `event` that are newer than what is held; returns them as an event
   * (for the viewers), or undefined when none was new.
   */
  apply(event: StateEvent): StateEvent | undefined {
    let fresh: Record<string, StateEntry> | undefined;
    for (const [key, entry] of Object.entries(event.changes)) {
      if (!this.#put(key, entry)) continue;
      (fresh ??= {})[key] = entry;
    }
    if (event.version > this.#version) this.#version = event.version;
    return fresh && { type: 'state', version: this.#version, changes: fresh };
  }

  /** The whole state (live keys only), to replace what a client holds. */
  snapshot(): StateEvent {
    const changes: Record<string, StateEntry> = {};
    for (const [key, entry] of this.#entries) if (!entry.deleted) changes[key] = entry;
    return { type: 'state', version: this.#version, changes, snapshot: true };
  }

  /**
   * What a joiner holding `since` (undefined: nothing) is sent: nothing when it is current (or
   * there is no state and it holds none), the keys changed after `since` when they are all known
   * here, else a snapshot. Undefined too while the state is not loaded: live updates still come.
   */
  forJoiner(since: number | undefined): StateEvent | undefined {
    if (!this.loaded) return undefined;
    if (since === undefined) return this.#version === 0 ? undefined : this.snapshot();
    if (since === this.#version) return undefined;
    if (since < this.#floor || since > this.#version) return this.snapshot();
    const changes: Record<string, StateEntry> = {};
    for (const [key, entry] of this.#entries) if (entry.version > since) changes[key] = entry;
    return { type: 'state', version: this.#version, changes };
  }

  #put(key: string, entry: StateEntry): boolean {
    const held = this.#entries.get(key);
    if (held && held.version >= entry.version) return false;
    if (held?.deleted) this.#tombstones--;
    this.#entries.set(key, entry);
    if (entry.deleted && ++this.#tombstones > STATE_TOMBSTONES) this.#dropOldestTombstone();
    return true;
  }

  #dropOldestTombstone(): void {
    let oldest: [string, StateEntry] | undefined;
    for (const pair of this.#entries)
      if (pair[1].deleted && (!oldest || pair[1].version < oldest[1].version)) oldest = pair;
    if (!oldest) return;
    this.#entries.delete(oldest[0]);
    this.#tombstones--;
    this.#floor = Math.max(this.#floor, oldest[1].version);
  }
}

/**
 * Folds a newer state event into the one waiting for the next frame (the stream's `state`
 * latest-value slot): per key the newest version wins, so a key written many times in a tick
 * goes out once. A copy starts the waiting one; it is changed in place after that.
 */
export function foldState(waiting: StateEvent | undefined, next: StateEvent): StateEvent {
  if (waiting === undefined)
    return { type: 'state', version: next.version, changes: { ...next.changes } };
  for (const [key, entry] of Object.entries(next.changes)) {
    const held = waiting.changes[key];
    if (!held || held.version < entry.version) waiting.changes[key] = entry;
  }
  if (next.version > waiting.version) waiting.version = next.version;
  return waiting;
}

/** A `state` event from the bus, checked (the bus is trusted, but not blindly). */
export function isStateEvent(value: unknown): value is StateEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof StateEvent, unknown>>;
  if (e.type !== 'state' || typeof e.version !== 'number') return false;
  if (typeof e.changes !== 'object' || e.changes === null) return false;
  for (const entry of Object.values(e.changes as Record<string, unknown>)) {
    const x = entry as Partial<Record<keyof StateEntry, unknown>> | null;
    if (typeof x !== 'object' || x === null) return false;
    if (typeof x.version !== 'number' || typeof x.ts !== 'number') return false;
  }
  return true;
}
