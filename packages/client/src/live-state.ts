import type { StateEntry, StateEvent } from '@roar/protocol/core';
import { Emitter, type Listener } from './events.js';

/** One key of a stream's live state changed (or was deleted: `value` undefined). */
export interface StateChange {
  stream: string;
  key: string;
  /** The new value; undefined when the key was deleted. */
  value: unknown;
  /** The key's version: its compare-and-set token for `setState(..., { ifVersion })`. */
  version: number;
  deleted: boolean;
}

/** What a `LiveState` emits. */
export interface LiveStateEvents {
  change: StateChange;
}

/**
 * A stream's live state (live widgets: the score, the current over) as this client shows it: a
 * map kept current from the server's snapshot and latest-value updates, after playback alignment
 * when it is on (a score never changes before the video shows the ball). Keys are applied by
 * version, so an older value never replaces a newer one. Get it with `RoarClient.liveState(stream)`;
 * it lives as long as the client and keeps its values across reconnects.
 */
export class LiveState {
  readonly stream: string;
  /** Live keys, and deleted ones (`deleted`) so an older value heard late cannot bring one back. */
  readonly #entries = new Map<string, { value: unknown; version: number; deleted?: true }>();
  readonly #events = new Emitter<LiveStateEvents>();

  constructor(stream: string) {
    this.stream = stream;
  }

  /** The key's value, or undefined when the stream's state has no such key. */
  get(key: string): unknown {
    return this.#live(key)?.value;
  }

  /** The key's version (0: absent), for a conditional write. */
  versionOf(key: string): number {
    return this.#live(key)?.version ?? 0;
  }

  has(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  get keys(): string[] {
    return [...this.#entries].filter(([, e]) => !e.deleted).map(([k]) => k);
  }

  /** Every key and value, as a plain object (a copy). */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.keys.map((k) => [k, this.#entries.get(k)?.value]));
  }

  /** `change` for each key that changed; returns the function that removes the listener. */
  on<K extends keyof LiveStateEvents>(type: K, listener: Listener<LiveStateEvents[K]>): () => void {
    return this.#events.on(type, listener);
  }

  #live(key: string): { value: unknown; version: number } | undefined {
    const entry = this.#entries.get(key);
    return entry?.deleted ? undefined : entry;
  }

  /** Applies one key's entry unless an equal or newer version is held; returns the change. */
  apply(key: string, entry: StateEntry): StateChange | undefined {
    const held = this.#entries.get(key);
    if (held && held.version >= entry.version) return undefined;
    const deleted = entry.deleted === true;
    if (deleted) {
      this.#entries.set(key, { value: undefined, version: entry.version, deleted: true });
      if (!held || held.deleted) return undefined;
    } else {
      this.#entries.set(key, { value: entry.value, version: entry.version });
    }
    const change: StateChange = {
      stream: this.stream,
      key,
      value: deleted ? undefined : entry.value,
      version: entry.version,
      deleted,
    };
    this.#events.emit('change', change);
    return change;
  }

  /** A snapshot came: keys it does not list are gone. Returns their deletions. */
  retain(listed: StateEvent['changes']): StateChange[] {
    const gone: StateChange[] = [];
    for (const [key, held] of this.#entries) {
      if (Object.hasOwn(listed, key)) continue;
      this.#entries.delete(key);
      if (held.deleted) continue;
      const change = {
        stream: this.stream,
        key,
        value: undefined,
        version: held.version,
        deleted: true,
      };
      this.#events.emit('change', change);
      gone.push(change);
    }
    return gone;
  }
}

/** The state events a client receives: the live maps by stream, and the version to resume from. */
export function isStateEvent(value: unknown): value is StateEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof StateEvent, unknown>>;
  return (
    e.type === 'state' &&
    typeof e.version === 'number' &&
    typeof e.changes === 'object' &&
    e.changes !== null
  );
}

/** A well-formed entry (the server is trusted, but a bad one must not break the map). */
export function isStateEntry(value: unknown): value is StateEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof StateEntry, unknown>>;
  return typeof e.version === 'number' && typeof e.ts === 'number';
}

/** Options of a live-state write (see `RoarClient.setState`). */
export interface StateWriteOptions {
  /** Write only if the key is at this version (0: only if it does not exist). */
  ifVersion?: number;
  /** A retry with the same key returns the first attempt's result instead of writing again. */
  idempotencyKey?: string;
}

/** What a live-state write is answered with. */
export interface StateWritten {
  /** The key's version after the write. */
  version: number;
  /** An earlier attempt with the same idempotency key did the write. */
  replayed: boolean;
}
