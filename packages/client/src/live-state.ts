// `@roar/client/live-state`: a stream's live state (live widgets: a score, the current over) for
// a `RoarClient`, in its own entry so an app that shows none leaves it out of its bundle.
import {
  parseWidgetFields,
  type StateEntry,
  type StateEvent,
  type WidgetRequest,
} from '@roar/protocol/core';
import { checkStream, checked } from './checks.js';
import { featureHost, type RoarClient } from './client.js';
import { Emitter, type Listener } from './events.js';
import type { FeatureHost } from './feature-host.js';
import type { StreamState } from './streams.js';

export { StateLimits, type StateEntry } from '@roar/protocol/core';

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
 * version, so an older value never replaces a newer one. Get it with `LiveStates.of(stream)`; it
 * lives as long as the client and keeps its values across reconnects.
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

/** What `LiveStates` emits: every stream's changes (each `LiveState` emits its own). */
export interface LiveStatesEvents {
  state: StateChange;
}

/**
 * The live state of the streams a client joins, and its writes. Make it before joining: the
 * snapshot sent on join fills it, latest-value updates follow, held for playback alignment like
 * chat, and after a reconnect the client asks for only the keys changed since. It lives as long
 * as the client.
 */
export class LiveStates {
  readonly #host: FeatureHost;
  readonly #events = new Emitter<LiveStatesEvents>();
  readonly #states = new Map<string, LiveState>();

  constructor(client: RoarClient) {
    this.#host = featureHost(client);
    this.#host.handle('state', (stream, event, target) => this.#state(stream, event, target));
  }

  /** `stream`'s live state (empty until its snapshot comes). */
  of(stream: string): LiveState {
    checkStream(stream);
    let live = this.#states.get(stream);
    if (!live) this.#states.set(stream, (live = new LiveState(stream)));
    return live;
  }

  /** `state` for each key that changed on any stream; returns the function that removes it. */
  on<K extends keyof LiveStatesEvents>(
    type: K,
    listener: Listener<LiveStatesEvents[K]>,
  ): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Sets one key of a stream's live state (broadcasters, moderators, admins); resolves with the
   * key's new version. `ifVersion` makes it conditional (`version_conflict`, whose error carries
   * the current `version`); `idempotencyKey` makes a retry safe. Limits: see `StateLimits`.
   */
  set(stream: string, key: string, value: unknown, o?: StateWriteOptions): Promise<StateWritten> {
    return this.#write(stream, { key, op: 'set', value, ...o });
  }

  /** Merges `patch` into a key's object value (RFC 7386); otherwise as `set`. */
  patch(stream: string, key: string, patch: object, o?: StateWriteOptions): Promise<StateWritten> {
    return this.#write(stream, { key, op: 'patch', value: patch, ...o });
  }

  /** Deletes one key of a stream's live state; otherwise as `set`. */
  delete(stream: string, key: string, o?: StateWriteOptions): Promise<StateWritten> {
    return this.#write(stream, { key, op: 'delete', ...o });
  }

  async #write(
    stream: string,
    fields: Omit<WidgetRequest, 'type' | 'stream'>,
  ): Promise<StateWritten> {
    const request = checked(() => parseWidgetFields(fields, checkStream(stream), undefined));
    const ack = await this.#host.request('widget', (ref) => ({ ...request, ref }));
    return { version: ack.version ?? 0, replayed: ack.replayed === true };
  }

  /**
   * A snapshot or update: each key is held by its write time like chat, then a mark records the
   * event's version as what a rejoin resumes from, once every entry before it is applied (held
   * values dropped with a refusal must come again). A snapshot first removes the keys it does
   * not list (when they went is unknown: at once).
   */
  #state(stream: string, event: unknown, target: StreamState): void {
    if (!isStateEvent(event)) return;
    const live = this.of(stream);
    if (event.snapshot)
      for (const change of live.retain(event.changes)) this.#events.emit('state', change);
    let ts: number | undefined;
    for (const [key, entry] of Object.entries(event.changes)) {
      if (!isStateEntry(entry)) continue;
      if (ts === undefined || entry.ts > ts) ts = entry.ts;
      this.#host.deliver(stream, entry.ts, () => {
        const change = live.apply(key, entry);
        if (change) this.#events.emit('state', change);
      });
    }
    const { version } = event;
    const snapshot = event.snapshot === true;
    this.#host.deliver(stream, ts, () => {
      target.stateVersion = snapshot ? version : Math.max(target.stateVersion ?? 0, version);
    });
  }
}

/** The state events a client receives: the live maps by stream, and the version to resume from. */
function isStateEvent(value: unknown): value is StateEvent {
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
function isStateEntry(value: unknown): value is StateEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof StateEntry, unknown>>;
  return typeof e.version === 'number' && typeof e.ts === 'number';
}

/** Options of a live-state write (see `LiveStates.set`). */
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
