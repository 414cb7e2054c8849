import type { Bus, Subjects, Subscription } from '@roar/bus';
import { EncodedEvent, type StreamEvent } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { GLOBAL_SCOPE, type Store } from '@roar/store';
import type { StreamRegistry } from '../stream-registry.js';
import type { StreamState } from '../stream-state.js';
import { decodeControl, type ControlEvent } from './control.js';
import { publicSettings } from './settings.js';
import type { BanList } from './stream-moderation.js';

export interface ControlListenerOptions {
  bus: Bus;
  subjects: Subjects;
  store: Store;
  registry: StreamRegistry;
  globalBans: BanList;
  log: Logger;
  now: () => number;
  onPending: (state: StreamState) => void;
  onLevel: (level: number | null) => void;
  /** Global bans are reloaded from the store this often, in case control news was missed. */
  refreshMs?: number;
}

/**
 * Keeps this gateway's moderation caches current: applies control events from the bus, tells
 * viewers of held streams what changed (a removed user, new rules), and reloads from the store
 * at start, periodically, and after the bus reconnects.
 */
export class ControlListener {
  readonly #o: ControlListenerOptions;
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopStatus: (() => void) | undefined;
  #retry: NodeJS.Timeout | undefined;
  #loaded = false;
  #stopped = false;

  constructor(options: ControlListenerOptions) {
    this.#o = options;
  }

  start(): void {
    const { bus, subjects, log } = this.#o;
    this.#sub = bus.subscribe(subjects.control(), (payload) => {
      const event = decodeControl(payload);
      if (event) this.#apply(event);
      else log.warn('undecodable control event');
    });
    this.#stopStatus = bus.onStatus((status) => {
      if (status.type !== 'reconnected') return;
      this.#reloadGlobal();
      this.#o.registry.reloadModeration();
    });
    this.#reloadGlobal();
    this.#timer = setInterval(() => this.#reloadGlobal(), this.#o.refreshMs ?? 60_000);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#sub?.unsubscribe();
    this.#stopStatus?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Loads global bans; until one load succeeds (Redis may still be connecting), retries soon. */
  #reloadGlobal(): void {
    this.#o.store.moderation.listBans(GLOBAL_SCOPE, this.#o.now()).then(
      (bans) => {
        this.#o.globalBans.replace(bans);
        this.#loaded = true;
      },
      (error: unknown) => {
        this.#o.log.warn('global bans reload failed', { error });
        if (!this.#loaded && !this.#stopped) {
          this.#retry = setTimeout(() => this.#reloadGlobal(), 1000);
          this.#retry.unref();
        }
      },
    );
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
        state.mod.setOverrides(event.overrides);
        this.#tell(state, { type: 'settings', settings: publicSettings(state.mod.settings) });
        return;
      }
      case 'level':
        this.#o.onLevel(event.level);
        return;
    }
  }

  #tell(state: StreamState, event: StreamEvent): void {
    state.enqueue(EncodedEvent.of(event));
    this.#o.onPending(state);
  }
}
