import { ErrorCode, RejectedError } from '@roar/protocol';
import { createMemoryStore, GLOBAL_SCOPE, type Store } from '@roar/store';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../base/identity.js';
import { StreamState } from '../streams/stream-state.js';
import { checkChat } from './rules/chat-policy.js';
import { defaultSettings } from './rules/settings.js';
import { RESTORED_REASON, StoreGeneration } from './store-generation.js';
import { BanList } from './rules/stream-moderation.js';
import { loadStreamModeration } from '../streams/moderation-sync.js';
import type { StreamRegistry } from '../streams/stream-registry.js';

const defaults = defaultSettings(['👏']);
const viewer = (userId: string, roles: string[] = []): Identity => ({
  key: `u:${userId}`,
  userId,
  name: userId,
  roles,
  anonymous: false,
});
const loadedBans = (): BanList => {
  const bans = new BanList();
  bans.replace([]);
  return bans;
};
/** `store` with some moderation methods replaced (the rest still run on the real one). */
function withModeration(store: Store, over: Partial<Store['moderation']>): Store {
  const moderation = new Proxy(store.moderation, {
    get(target, key) {
      if (key in over) return over[key as keyof typeof over];
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { ...store, moderation };
}

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return error instanceof RejectedError ? error.code : 'other';
  }
};

describe('checkChat fails closed', () => {
  it('refuses non-privileged chat with unavailable until global bans and the stream’s rules are loaded', () => {
    const state = new StreamState('s', 0, 10, defaults);
    const chat = (identity: Identity, globalBans: BanList) =>
      code(() =>
        checkChat({
          identity,
          stream: 's',
          text: 'hi',
          now: 1,
          mod: state.mod,
          globalBans,
          charge: () => {},
        }),
      );
    expect(state.mod.provisional).toBe(true);
    expect(chat(viewer('amy'), loadedBans())).toBe(ErrorCode.Unavailable);
    expect(chat(viewer('mod', ['moderator:s']), loadedBans())).toBeUndefined();

    state.mod.confirm({ overrides: undefined, bans: [], pinned: undefined });
    expect(chat(viewer('amy'), loadedBans())).toBeUndefined();
    expect(chat(viewer('amy'), new BanList())).toBe(ErrorCode.Unavailable);
    // A known ban is still told as a ban, not as "try again".
    const unloaded = new BanList();
    unloaded.set('bob', null);
    expect(chat(viewer('bob'), unloaded)).toBe(ErrorCode.Banned);
  });
});

describe('loadStreamModeration', () => {
  it('reads again when a ban arrives during the read, so the load never undoes it', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const state = new StreamState('s', 0, 10, defaults);
    let reads = 0;
    const racing = withModeration(store, {
      listBans: async (scope: string, now: number) => {
        const bans = await store.moderation.listBans(scope, now);
        // The first read is overtaken: the ban is written and announced before it returns.
        if (reads++ === 0) {
          await store.moderation.putBan({
            userId: 'bob',
            scope: 's',
            until: null,
            reason: '',
            by: 'mod',
            at: 1,
          });
          state.mod.bans.set('bob', null);
        }
        return bans;
      },
    });
    await loadStreamModeration(state, racing, () => 1);
    expect(reads).toBe(2);
    expect(state.mod.provisional).toBe(false);
    expect(state.mod.bans.check('bob', 1)).toEqual({ until: null });
  });

  it('leaves a stream provisional when the store fails', async () => {
    const store = createMemoryStore({ historyCapacity: 10 });
    const state = new StreamState('s', 0, 10, defaults);
    const failing = withModeration(store, {
      getSettings: () => Promise.reject(new Error('down')),
    });
    await expect(loadStreamModeration(state, failing, () => 1)).rejects.toThrow('down');
    expect(state.mod.provisional).toBe(true);
  });
});

describe('StoreGeneration', () => {
  it('tells a fresh store, the same one, and one that lost its data; restores what it held', async () => {
    let store = createMemoryStore({ historyCapacity: 10 });
    const state = new StreamState('s', 0, 10, defaults);
    state.mod.confirm({
      overrides: { slowModeS: 5 },
      bans: [{ userId: 'bob', scope: 's', until: null, reason: '', by: 'mod', at: 1 }],
      pinned: undefined,
    });
    const provisional = new StreamState('p', 0, 10, defaults);
    const globalBans = loadedBans();
    globalBans.set('eve', null);
    const registry = { values: () => [state, provisional].values() } as unknown as StreamRegistry;
    const generation = new StoreGeneration({
      get store() {
        return store;
      },
      registry,
      globalBans,
      gatewayId: 'gw-1',
      now: () => Date.now(),
    });
    expect((await generation.check()).state).toBe('fresh');
    expect((await generation.check()).state).toBe('same');

    store = createMemoryStore({ historyCapacity: 10 });
    const lost = await generation.check();
    expect(lost.state).toBe('lost');
    // Not adopted before the restore: a failed restore is tried again.
    expect((await generation.check()).state).toBe('lost');
    expect(await generation.restore()).toEqual({ globalBans: 1, streams: 1, streamBans: 1 });
    generation.adopt(lost.id);
    expect((await generation.check()).state).toBe('same');

    const now = Date.now();
    expect(await store.moderation.listBans(GLOBAL_SCOPE, now)).toMatchObject([
      { userId: 'eve', until: null, reason: RESTORED_REASON, by: 'gateway:gw-1' },
    ]);
    expect(await store.moderation.listBans('s', now)).toMatchObject([{ userId: 'bob' }]);
    expect(await store.moderation.getSettings('s')).toEqual({ slowModeS: 5 });
    expect(await store.moderation.listAudit(GLOBAL_SCOPE, 10)).toMatchObject([
      { actor: 'gateway:gw-1', action: 'restore', details: { globalBans: 1, streamBans: 1 } },
    ]);
    // A provisional stream's defaults are not knowledge, and are not written.
    expect(await store.moderation.getSettings('p')).toBeUndefined();
  });
});
