import {
  STATE_IDEMPOTENCY_KEYS,
  STATE_TOMBSTONES,
  badStateWrite,
  type LiveStateStore,
  type StateWrite,
  type StateWriteResult,
  type StoredState,
  type StoredStateEntry,
} from './live-state.js';

interface MemoryState extends StoredState {
  /** Idempotency key → the write's result, oldest first (a Map keeps insertion order). */
  done: Map<string, { version: number; key: string }>;
}

/** The embedded mode's live state: the same rules as Redis's script, in one process. */
export class MemoryLiveState implements LiveStateStore {
  readonly #streams = new Map<string, MemoryState>();

  async write(stream: string, w: StateWrite): Promise<StateWriteResult> {
    const error = badStateWrite(w);
    if (error) throw error;
    let s = this.#streams.get(stream);
    if (w.idempotencyKey !== undefined) {
      const done = s?.done.get(w.idempotencyKey);
      if (done) return { outcome: 'replayed', ...done };
    }
    const current = s?.entries.get(w.key);
    const live = current?.json !== undefined ? current.version : 0;
    if (w.ifVersion !== undefined && w.ifVersion !== live)
      return { outcome: 'conflict', current: live };
    if (w.json === undefined && live === 0) return { outcome: 'missing' };
    if (w.json !== undefined && live === 0 && s && liveKeys(s) >= w.maxKeys)
      return { outcome: 'full' };
    if (!s) {
      s = { version: w.ts, floor: w.ts, entries: new Map(), done: new Map() };
      this.#streams.set(stream, s);
    }
    const version = ++s.version;
    const entry: StoredStateEntry = { version, ts: w.ts, json: w.json };
    s.entries.delete(w.key);
    s.entries.set(w.key, entry);
    if (w.json === undefined) dropOldTombstones(s);
    if (w.idempotencyKey !== undefined) {
      s.done.set(w.idempotencyKey, { version, key: w.key });
      if (s.done.size > STATE_IDEMPOTENCY_KEYS) s.done.delete(s.done.keys().next().value as string);
    }
    return { outcome: 'written', version };
  }

  async read(stream: string): Promise<StoredState> {
    const s = this.#streams.get(stream);
    if (!s) return { version: 0, floor: 0, entries: new Map() };
    const entries = new Map<string, StoredStateEntry>();
    for (const [key, e] of s.entries) entries.set(key, { ...e });
    return { version: s.version, floor: s.floor, entries };
  }
}

function liveKeys(s: StoredState): number {
  let n = 0;
  for (const e of s.entries.values()) if (e.json !== undefined) n++;
  return n;
}

function dropOldTombstones(s: StoredState): void {
  const tombstones = [...s.entries].filter(([, e]) => e.json === undefined);
  if (tombstones.length <= STATE_TOMBSTONES) return;
  tombstones.sort(([, a], [, b]) => a.version - b.version);
  const [key, oldest] = tombstones[0] as [string, StoredStateEntry];
  s.entries.delete(key);
  s.floor = Math.max(s.floor, oldest.version);
}
