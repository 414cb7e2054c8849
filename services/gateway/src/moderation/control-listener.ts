import type { Bus, Subjects, Subscription } from '@roar/bus';
import { EncodedEvent, type StreamEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { GLOBAL_SCOPE, storeConnection, type Store } from '@roar/store';
import type { GatewayMetrics } from '../base/metrics.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { StreamState } from '../streams/stream-state.js';
import { decodeControl, encodeControl, type ControlEvent } from './control.js';
import { publicSettings } from './rules/settings.js';
import type { BanList } from './rules/stream-moderation.js';
import { StoreGeneration } from './store-generation.js';

export interface ControlListenerOptions {
  bus: Bus;
  subjects: Subjects;
  store: Store;
  registry: StreamRegistry;
  globalBans: BanList;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
  /** Written as `by` on the bans this gateway restores to a store that lost them. */
  gatewayId: string;
  onPending: (state: StreamState) => void;
  onLevel: (level: number | null) => void;
  /** Everything is reloaded from the store this often, in case control news was missed. */
  refreshMs: number;
  /** Failed loads are retried, and the store generation checked, this often. */
  retryMs: number;
  /** How long a gateway that found the store empty waits for peers to restore it. */
  freshStoreGraceMs: number;
}

type Scope = 'all' | 'provisional';

/**
 * Keeps this gateway's moderation caches current: applies control events from the bus, tells
 * viewers of held streams what changed (a removed user, new rules), and reloads from the store
 * at start, after the bus or the store reconnects, every `refreshMs`, and every `retryMs` while
 * a load has failed. Every reload first checks the store's generation marker, so a store that
 * lost its data is refilled from these caches before anything is read from it (see
 * `StoreGeneration`); caches are never replaced by an emptied store's nothing.
 */
export class ControlListener {
  readonly #o: ControlListenerOptions;
  readonly #generation: StoreGeneration;
  readonly #timers: NodeJS.Timeout[] = [];
  #sub: Subscription | undefined;
  #stopStatus: (() => void) | undefined;
  #stopStore: (() => void) | undefined;
  /** Bumped on every store (re)connect: a load that spans one is not trusted. */
  #storeEpoch = 0;
  #running: Promise<void> | undefined;
  #queued: Scope | undefined;
  #graceUntil = 0;
  #failing = false;
  #stopped = false;

  constructor(options: ControlListenerOptions) {
    this.#o = options;
    this.#generation = new StoreGeneration({
      store: options.store,
      registry: options.registry,
      globalBans: options.globalBans,
      gatewayId: options.gatewayId,
      now: options.now,
    });
  }

  start(): void {
    const { bus, subjects, log, store } = this.#o;
    this.#sub = bus.subscribe(subjects.control(), (payload) => {
      const event = decodeControl(payload);
      if (event) this.#apply(event);
      else log.warn('undecodable control event');
    });
    this.#stopStatus = bus.onStatus((status) => {
      if (status.type === 'reconnected') this.sync('all');
    });
    this.#stopStore = storeConnection(store)?.onReady(() => {
      this.#storeEpoch++;
      this.sync('all');
    });
    this.sync('all');
    this.#every(this.#o.refreshMs, () => this.sync('all'));
    this.#every(this.#o.retryMs, () => this.sync('provisional'));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#sub?.unsubscribe();
    this.#stopStatus?.();
    this.#stopStore?.();
  }

  /**
   * Checks the store's generation and reloads from it: global bans (until loaded, or always for
   * `'all'`) and the held streams of `scope`. One sync runs at a time; requests made meanwhile
   * run once after it, with the widest scope asked for.
   */
  sync(scope: Scope): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#queued = this.#queued === 'all' || scope === 'all' ? 'all' : 'provisional';
      return;
    }
    this.#running = this.#sync(scope)
      .then(
        () => {
          if (this.#failing) this.#o.log.info('moderation sync works again');
          this.#failing = false;
        },
        (error: unknown) => {
          this.#o.metrics.moderationLoadFailures.inc({ scope: 'global' });
          // Retried every retryMs: one warning per outage, not one a second.
          if (!this.#failing) this.#o.log.warn('moderation sync failed; retrying', { error });
          this.#failing = true;
        },
      )
      .finally(() => {
        this.#running = undefined;
        this.#o.registry.provisionalCount();
        const next = this.#queued;
        this.#queued = undefined;
        if (next) this.sync(next);
      });
  }

  async #sync(scope: Scope): Promise<void> {
    const { globalBans, registry, metrics, log, now } = this.#o;
    const epoch = this.#storeEpoch;
    const generation = await this.#generation.check();
    if (generation.state === 'fresh' && this.#o.freshStoreGraceMs > 0) {
      // Either the cluster's first start, or Redis came back empty before any gateway that
      // knew its bans noticed: wait for one to write them back (and say `reload`).
      this.#graceUntil = now() + this.#o.freshStoreGraceMs;
      log.warn('store has no generation marker: waiting for peers to restore moderation', {
        graceMs: this.#o.freshStoreGraceMs,
      });
    }
    if (generation.state === 'lost') {
      metrics.storeDataLoss.inc();
      log.error(
        'store lost its data (generation marker missing or changed): restoring the bans and rules this gateway knew',
        {
          previous: generation.previous,
          current: generation.id,
        },
      );
      const restored = await this.#generation.restore();
      this.#generation.adopt(generation.id);
      log.warn('moderation restored to the store', restored);
      this.#o.bus.publish(this.#o.subjects.control(), encodeControl({ kind: 'reload' }));
      scope = 'all';
    }
    if (now() < this.#graceUntil) return;
    if (this.#graceUntil > 0) {
      this.#graceUntil = 0;
      scope = 'all';
    }
    if (scope === 'all' || !globalBans.loaded) {
      const seen = globalBans.changes;
      const bans = await this.#o.store.moderation.listBans(GLOBAL_SCOPE, now());
      // A ban heard during the read may be missing from it; a reconnect during it may mean the
      // read came from a store that has not been checked: either way, the next sync reads again.
      if (globalBans.changes !== seen || this.#storeEpoch !== epoch) {
        this.#queued = 'all';
        return;
      }
      globalBans.replace(bans);
      metrics.globalBansLoaded.set(1);
    }
    await registry.reloadModeration(scope, () => this.#storeEpoch === epoch);
  }

  #apply(event: ControlEvent): void {
    const { registry, globalBans } = this.#o;
    switch (event.kind) {
      case 'ban': {
        const removed: StreamEvent = {
          type: 'user_removed',
          userId: event.userId,
          until: event.until,
        };
        if (event.scope === GLOBAL_SCOPE) {
          globalBans.set(event.userId, event.until);
          for (const state of registry.values()) this.#tell(state, removed);
        } else {
          const state = registry.get(event.scope);
          if (!state) return;
          state.mod.bans.set(event.userId, event.until);
          this.#tell(state, removed);
        }
        return;
      }
      case 'unban':
        if (event.scope === GLOBAL_SCOPE) globalBans.delete(event.userId);
        else registry.get(event.scope)?.mod.bans.delete(event.userId);
        return;
      case 'settings': {
        const state = registry.get(event.stream);
        if (!state) return;
        state.mod.changeSettings(event.overrides);
        this.#tell(state, { type: 'settings', settings: publicSettings(state.mod.settings) });
        return;
      }
      case 'level':
        this.#o.onLevel(event.level);
        return;
      case 'reload':
        this.sync('all');
        return;
    }
  }

  #tell(state: StreamState, event: StreamEvent): void {
    state.enqueue(EncodedEvent.of(event));
    this.#o.onPending(state);
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}
