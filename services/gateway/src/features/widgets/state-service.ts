import type { Bus, Subjects } from '@roar/bus';
import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  StateLimits,
  isPlainObject,
  stateValueJson,
  type StateEntry,
  type StateEvent,
  type StateOp,
} from '@roar/protocol';
import type { Store, StoredState } from '@roar/store';
import { requireModerator, type Actor } from '../../moderation/actor.js';
import { StateMetrics } from './state-metrics.js';
import type { Registry } from 'prom-client';

export interface StateServiceOptions {
  store: Pick<Store, 'liveState' | 'moderation'>;
  bus: Bus;
  subjects: Subjects;
  /** The gateway's metrics registry: the feature's own series go there. */
  registry: Registry;
  now: () => number;
}

/** One write as the admin API and the WebSocket command both ask for it (checked by them). */
export interface StateWriteRequest {
  key: string;
  op: StateOp;
  value?: unknown;
  ifVersion?: number | undefined;
  idempotencyKey?: string | undefined;
}

/** What a write is answered with: the key's version after it, and whether it was a retry's. */
export interface StateWriteReply {
  key: string;
  version: number;
  replayed: boolean;
}

/** A patch that lost this many races in a row to unconditional writers gives up (`version_conflict`). */
const PATCH_ATTEMPTS = 5;

/**
 * Writes to streams' live state, shared by the admin API's `/state` routes and broadcasters'
 * `widget` command (one per gateway, built by the widgets feature):
 * checks the actor's right (moderator or broadcaster of the stream, or admin/API key), writes the
 * truth to the store (atomic, versioned, conditional and idempotent there), then publishes the
 * change on the stream's `widget` subject, from which every gateway holding the stream updates
 * its copy and its viewers. A replayed write publishes the key's current entry again, so a retry
 * also repairs a publish lost with the writer. Deletes go to the audit log; sets and patches are
 * counted by result in `roar_state_writes_total` instead (a score may change 100 times a second).
 */
export class StateService {
  readonly metrics: StateMetrics;
  readonly #o: StateServiceOptions;

  constructor(options: StateServiceOptions) {
    this.#o = options;
    this.metrics = new StateMetrics(options.registry);
  }

  /** Applies one write; rejects with a `RoarError` (forbidden, version_conflict, limits...). */
  async write(actor: Actor, stream: string, req: StateWriteRequest): Promise<StateWriteReply> {
    try {
      requireModerator(actor, stream);
      const reply = await this.#write(stream, req);
      // Deletes are audited (a key gone from every screen is worth knowing who did it); sets and
      // patches are not, one by one: a score written 100 times a second would flush moderators'
      // actions out of the capped audit log within minutes.
      if (req.op === 'delete' && !reply.replayed) {
        await this.#o.store.moderation.appendAudit({
          at: this.#o.now(),
          scope: stream,
          actor: actor.id,
          action: 'state.delete',
          target: req.key,
          details: { version: reply.version },
        });
      }
      this.metrics.writes.inc({ result: reply.replayed ? 'replayed' : 'written' });
      return reply;
    } catch (error) {
      this.metrics.writes.inc({ result: error instanceof RoarError ? error.code : 'internal' });
      throw error;
    }
  }

  /** The stream's live state from the store (live keys only), for moderators and backends. */
  async read(actor: Actor, stream: string): Promise<StateEvent> {
    requireModerator(actor, stream);
    const stored = await this.#o.store.liveState.read(stream);
    const changes: Record<string, StateEntry> = {};
    for (const [key, e] of stored.entries)
      if (e.json !== undefined)
        changes[key] = { version: e.version, ts: e.ts, value: JSON.parse(e.json) as unknown };
    return { type: 'state', version: stored.version, changes, snapshot: true };
  }

  /** The stream's stored state, tombstones included: what a gateway's copy is loaded from. */
  load(stream: string): Promise<StoredState> {
    return this.#o.store.liveState.read(stream);
  }

  async #write(stream: string, req: StateWriteRequest): Promise<StateWriteReply> {
    const { store, now } = this.#o;
    for (let attempt = 1; ; attempt++) {
      let json: string | undefined;
      let ifVersion = req.ifVersion;
      if (req.op === 'set') json = stateValueJson(req.value);
      else if (req.op === 'patch') {
        const current = (await store.liveState.read(stream)).entries.get(req.key);
        const base = current?.json === undefined ? 0 : current.version;
        // Conditional on what was merged into, unless the caller made it conditional itself.
        if (ifVersion !== undefined && ifVersion !== base) throw conflict(req.key, base);
        ifVersion = base;
        const old: unknown = current?.json === undefined ? undefined : JSON.parse(current.json);
        json = stateValueJson(mergePatch(old, req.value));
      }
      const ts = now();
      const result = await store.liveState.write(stream, {
        key: req.key,
        json,
        ifVersion,
        idempotencyKey: req.idempotencyKey,
        ts,
        maxKeys: StateLimits.keysPerStream,
      });
      switch (result.outcome) {
        case 'written': {
          const entry: StateEntry =
            json === undefined
              ? { version: result.version, ts, deleted: true }
              : { version: result.version, ts, value: JSON.parse(json) as unknown };
          this.#publish(stream, result.version, req.key, entry);
          return { key: req.key, version: result.version, replayed: false };
        }
        case 'replayed': {
          const current = await store.liveState.read(stream);
          this.#republish(stream, current, result.key);
          return { key: result.key, version: result.version, replayed: true };
        }
        case 'conflict':
          // A patch's own condition lost a race: merge into the newer value and try again.
          if (req.op === 'patch' && req.ifVersion === undefined && attempt < PATCH_ATTEMPTS)
            continue;
          throw conflict(req.key, result.current);
        case 'full':
          throw new RoarError(
            ErrorCode.StateTooManyKeys,
            `a stream's live state holds at most ${StateLimits.keysPerStream} keys: delete one first`,
          );
        case 'missing':
          throw new RoarError(
            ErrorCode.NotFound,
            `no key ${req.key} in the live state of ${stream}`,
          );
      }
    }
  }

  #publish(stream: string, version: number, key: string, entry: StateEntry): void {
    const event: StateEvent = { type: 'state', version, changes: { [key]: entry } };
    this.#o.bus.publish(this.#o.subjects.stream(stream, 'widget'), EncodedEvent.of(event).msgpack);
  }

  #republish(stream: string, stored: StoredState, key: string): void {
    const e = stored.entries.get(key);
    if (!e) return;
    const entry: StateEntry =
      e.json === undefined
        ? { version: e.version, ts: e.ts, deleted: true }
        : { version: e.version, ts: e.ts, value: JSON.parse(e.json) as unknown };
    this.#publish(stream, stored.version, key, entry);
  }
}

function conflict(key: string, current: number): RoarError {
  return new RoarError(
    ErrorCode.VersionConflict,
    `${key} is at version ${current}: read it again and retry`,
    { version: current },
  );
}

/**
 * RFC 7386 JSON merge patch: an object patch merges into an object (a null member deletes that
 * member), anything else replaces the value.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
