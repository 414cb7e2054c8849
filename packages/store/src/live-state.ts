/**
 * One key of a stream's live state as stored: its version, when it was written, and its JSON
 * text, or no text for a deleted key (a tombstone, kept so deltas can say it went).
 */
export interface StoredStateEntry {
  version: number;
  ts: number;
  /** The value's JSON text; undefined for a deleted key. */
  json: string | undefined;
}

/** A stream's live state as stored, tombstones included. */
export interface StoredState {
  /** The stream's state version: the version of its newest write; 0 when it has none. */
  version: number;
  /**
   * The changes after any version at or above `floor` are all in `entries` (live keys and
   * tombstones); from below it they are not (older tombstones were dropped, or the state was
   * lost and began again), so a client there needs the whole state.
   */
  floor: number;
  entries: Map<string, StoredStateEntry>;
}

/** One write to one key: a value (JSON text, checked by the caller) or a delete. */
export interface StateWrite {
  key: string;
  /** The new value's JSON text; undefined deletes the key. */
  json: string | undefined;
  /** Write only if the key's version is this (0: only if the key does not exist). */
  ifVersion?: number | undefined;
  /** A retry carrying a key already used on this stream returns that write's result instead. */
  idempotencyKey?: string | undefined;
  /** When it is written (ms since the epoch, the writer's clock): kept with the entry. */
  ts: number;
  /** Most live keys the stream may hold; a new key past it is refused (`full`). */
  maxKeys: number;
}

export type StateWriteResult =
  /** Written at `version`, which is now the key's version and the stream's. */
  | { outcome: 'written'; version: number }
  /** An earlier write with the same idempotency key wrote `key` at `version`; nothing now. */
  | { outcome: 'replayed'; version: number; key: string }
  /** `ifVersion` did not match: the key is at `current` (0: absent). Nothing written. */
  | { outcome: 'conflict'; current: number }
  /** A new key past `maxKeys`. Nothing written. */
  | { outcome: 'full' }
  /** A delete of a key that does not exist. Nothing written. */
  | { outcome: 'missing' };

/** Tombstones kept per stream (the newest); dropping older ones raises the floor. */
export const STATE_TOMBSTONES = 64;
/** Idempotency keys remembered per stream (the newest writes'). */
export const STATE_IDEMPOTENCY_KEYS = 256;

/**
 * The live state of streams (live widgets: a score, the current over), shared by every gateway.
 * Each write is atomic and totally ordered per stream: it takes the next state version, which
 * becomes the written key's version, so versions only grow. A stream's first write starts the
 * version at its `ts`, so a state lost and written again starts above every version handed out
 * before (unless it averaged over 1,000 writes a second), and its floor with it: clients holding
 * an old version are sent the whole state, never a wrong delta. The state expires with the
 * stream's other state (Redis: `streamStateTtlSeconds` after its last write).
 */
export interface LiveStateStore {
  /**
   * Applies one write, atomically with its condition and its idempotency check. Rejects with
   * `RangeError` for a bad key or ts (before sending anything), `StoreUnavailableError` when the
   * backend is down (the write may or may not have happened: retry with the same idempotency key).
   */
  write(stream: string, write: StateWrite): Promise<StateWriteResult>;
  /** The stream's whole state, tombstones included; version 0 and no entries when it has none. */
  read(stream: string): Promise<StoredState>;
}

/** The caller mistakes a store refuses before doing anything. */
export function badStateWrite(w: StateWrite): RangeError | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(w.key))
    return new RangeError(`bad state key "${w.key}"`);
  if (!Number.isSafeInteger(w.ts) || w.ts <= 0) return new RangeError(`bad ts ${w.ts}`);
  if (w.idempotencyKey !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(w.idempotencyKey))
    return new RangeError(`bad idempotency key "${w.idempotencyKey}"`);
  if (w.ifVersion !== undefined && !(Number.isSafeInteger(w.ifVersion) && w.ifVersion >= 0))
    return new RangeError(`bad ifVersion ${w.ifVersion}`);
  return undefined;
}
