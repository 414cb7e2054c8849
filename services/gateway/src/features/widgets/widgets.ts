import type { Bus, Subjects } from '@roar/bus';
import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  type AckMessage,
  type JoinRequest,
  type WidgetRequest,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import type { Route } from '../../base/http.js';
import type { GatewayMetrics } from '../../base/metrics.js';
import { actorOf } from '../../moderation/actor.js';
import type { AdminRoute } from '../../moderation/admin-router.js';
import type { Fanout } from '../../streams/fanout.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { StreamFeature } from '../feature.js';
import { StateCache, foldState, isStateEvent } from './state-cache.js';
import { stateRoutes } from './state-routes.js';
import { StateService } from './state-service.js';

export interface WidgetsOptions {
  /** The live state (and the audit log deletes are written to). */
  store: Pick<Store, 'liveState' | 'moderation'>;
  bus: Bus;
  subjects: Subjects;
  registry: StreamRegistry;
  /** Marks a stream whose copy found changes it had missed, for its next frame. */
  fanout: Pick<Fanout, 'markDirty'>;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
}

/** The slot the stream's pending state changes wait in (one frame per tick at most). */
const SLOT = 'state';

/**
 * Live widgets: each stream's keyed live state (a score, the current over). Broadcasters write
 * it with the `widget` command, the app backend through the admin API's `/state` routes (its
 * `routes`), both through the feature's one `StateService`;
 * the store holds the truth, and every gateway holding the stream keeps a copy, loaded when the
 * stream opens and kept current from `<prefix>.s.<stream>.widget`.
 *
 * Viewers get a snapshot right after `joined` (or, rejoining with `stateVersion`, only the keys
 * changed since), then latest-value updates: changes wait in the stream's `state` slot, folded
 * per key, so within a tick only a key's newest value goes out, in at most one frame per viewer.
 * The degradation ladder leaves it alone: one small frame per tick at most is what it costs at
 * every level, and writers are a stream's few broadcasters and backends.
 *
 * Faults: a failed load (store down) lets viewers join without a snapshot (live updates still
 * come) and is retried every 10 s; a bus outage may lose changes, so when the bus is back every
 * held stream's state is read again and what was missed is pushed. A gateway restart loses
 * nothing: the state is in the store.
 */
export class Widgets implements StreamFeature<'widget'> {
  readonly name = 'widgets';
  readonly requests = ['widget'] as const;
  readonly subjects = ['widget'] as const;
  /** Writes and loads, for the `widget` command and the admin routes alike. */
  readonly state: StateService;
  readonly #o: WidgetsOptions;
  readonly #caches = new Map<string, StateCache>();

  constructor(options: WidgetsOptions) {
    this.#o = options;
    const { store, bus, subjects, metrics, now } = options;
    this.state = new StateService({ store, bus, subjects, registry: metrics.registry, now });
    options.bus.onStatus((status) => {
      if (status.type !== 'reconnected') return;
      for (const state of options.registry.values()) void this.#load(state);
    });
  }

  async handle(req: WidgetRequest, _ws: Socket, s: Session): Promise<AckMessage | undefined> {
    if (s.identity.anonymous)
      throw new RoarError(ErrorCode.Unauthenticated, 'sign in to write live state');
    const { key, op, value, ifVersion, idempotencyKey } = req;
    let reply;
    try {
      reply = await this.state.write(actorOf(s.identity), req.stream, {
        key,
        op,
        value,
        ifVersion,
        idempotencyKey,
      });
    } catch (error) {
      if (error instanceof RoarError) throw error;
      this.#o.log.error('live state write failed', { stream: req.stream, error });
      throw new RoarError(ErrorCode.Internal, 'the write failed; retry with its idempotency key');
    }
    if (req.ref === undefined) return undefined;
    const ack: AckMessage = { type: 'ack', ref: req.ref, version: reply.version };
    if (reply.replayed) ack.replayed = true;
    return ack;
  }

  routes(route: AdminRoute): Route[] {
    return stateRoutes(route, this.state);
  }

  open(state: StreamState): Promise<void> {
    this.#caches.set(state.id, new StateCache());
    return this.#load(state);
  }

  joined(state: StreamState, _s: Session, join: JoinRequest): EncodedEvent[] | undefined {
    const cache = this.#caches.get(state.id);
    const event = cache?.forJoiner(join.stateVersion);
    return event && [EncodedEvent.of(event)];
  }

  receive(state: StreamState, encoded: EncodedEvent): boolean {
    const event = encoded.event;
    if (!isStateEvent(event)) return false;
    const fresh = this.#caches.get(state.id)?.apply(event);
    if (fresh) {
      this.state.metrics.updatesIn.inc();
      state.slots.merge(SLOT, fresh, foldState);
    }
    return true;
  }

  /** Retries the loads that failed (every 10 s, with the gateway's sweep). */
  sweep(): void {
    for (const [stream, cache] of this.#caches) {
      const state = this.#o.registry.get(stream);
      if (!cache.loaded && state) void this.#load(state);
    }
  }

  forget(stream: string): void {
    this.#caches.delete(stream);
  }

  /** Reads the stream's state into its copy; pushes what the copy had missed. Never rejects. */
  async #load(state: StreamState): Promise<void> {
    const cache = this.#caches.get(state.id);
    if (!cache) return;
    try {
      const stored = await this.state.load(state.id);
      // Forgotten meanwhile, or opened again with a new copy that loads itself.
      if (this.#caches.get(state.id) !== cache) return;
      const fresh = cache.load(stored);
      if (fresh) {
        state.slots.merge(SLOT, fresh, foldState);
        this.#o.fanout.markDirty(state);
      }
    } catch (error) {
      this.state.metrics.loadFailures.inc();
      this.#o.log.warn('live state load failed', { stream: state.id, error });
    }
  }
}
