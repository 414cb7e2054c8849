import { describe, expect, it } from 'vitest';
import { describeAuditLogContract } from './audit-contract.js';
import { describeBanStoreContract } from './bans-contract.js';
import { awkward, elapse, type ContractClock } from './contract-fixtures.js';
import { describeHeldQueueContract } from './held-contract.js';
import type {
  GenerationMarker,
  ModerationStore,
  PinStore,
  RequestClaims,
  SettingsStore,
  StreamSettings,
} from './moderation.js';
import type { HistoryEntry } from './store.js';

export { CONTRACT_AUDIT_CAPACITY } from './audit-contract.js';
export { CONTRACT_HELD_CAPACITY } from './held-contract.js';

/** What every `SettingsStore` promises (see moderation.ts). */
export function describeSettingsStoreContract(settings: () => SettingsStore): void {
  describe('settings', () => {
    it('returns exactly what was stored, and a put replaces rather than merges', async () => {
      const m = settings();
      expect(await m.getSettings('st')).toBeUndefined();

      const full: StreamSettings = {
        chatEnabled: true,
        slowModeS: 5,
        emoteOnly: false,
        subscribersOnly: true,
        followersOnly: false,
        uniqueChat: true,
        holdS: 2,
        maxLength: 280,
        reactions: ['🔥', '❤️', '👏🏽'],
        reactionsEnabled: true,
        bannedTerms: ['spam', 'ﬁx'],
        links: 'moderators',
      };
      await m.putSettings('st', full);
      expect(await m.getSettings('st')).toEqual(full);

      await m.putSettings('st', { chatEnabled: false });
      expect(await m.getSettings('st')).toEqual({ chatEnabled: false });
      await m.putSettings('st', {});
      expect(await m.getSettings('st')).toEqual({});
      expect(await m.getSettings('other')).toBeUndefined();
    });
  });
}

/** What every `PinStore` promises (see moderation.ts). */
export function describePinStoreContract(pins: () => PinStore): void {
  describe('pin', () => {
    it('pins, replaces and unpins a message with its bytes intact', async () => {
      const m = pins();
      expect(await m.getPin('p')).toBeUndefined();
      const first: HistoryEntry = { id: 'm1', bytes: awkward('first') };
      await m.setPin('p', first);
      const got = await m.getPin('p');
      expect(got).toEqual(first);
      expect(got?.bytes).toBeInstanceOf(Uint8Array);

      const second: HistoryEntry = { id: 'm2', bytes: new Uint8Array([]) };
      await m.setPin('p', second);
      expect(await m.getPin('p')).toEqual(second);
      expect(await m.getPin('q')).toBeUndefined();

      await m.setPin('p', null);
      expect(await m.getPin('p')).toBeUndefined();
      await m.setPin('p', null);
    });
  });
}

/** What every `RequestClaims` promises (see moderation.ts). */
export function describeRequestClaimsContract(
  claims: () => RequestClaims,
  clock: () => ContractClock = () => ({}),
): void {
  describe('claimRequest', () => {
    it('grants a key once until its ttl passes', async () => {
      const m = claims();
      const since = Date.now();
      expect(await m.claimRequest('req-1', 200)).toBe(true);
      expect(await m.claimRequest('req-1', 200)).toBe(false);
      expect(await m.claimRequest('req-2', 200)).toBe(true);
      await elapse(
        clock(),
        { ms: 200, since },
        () => m.claimRequest('req-1', 10_000),
        'the claim to expire',
      );
      expect(await m.claimRequest('req-1', 10_000)).toBe(false);
    });

    it('lets a released key be claimed again, and only that key', async () => {
      const m = claims();
      expect(await m.claimRequest('rel-1', 60_000)).toBe(true);
      expect(await m.claimRequest('rel-2', 60_000)).toBe(true);
      await m.releaseRequest('rel-1');
      await m.releaseRequest('never-claimed');
      expect(await m.claimRequest('rel-1', 60_000)).toBe(true);
      expect(await m.claimRequest('rel-1', 60_000)).toBe(false);
      expect(await m.claimRequest('rel-2', 60_000)).toBe(false);
    });
  });
}

/** What every `GenerationMarker` promises (see moderation.ts). */
export function describeGenerationMarkerContract(marker: () => GenerationMarker): void {
  describe('generation', () => {
    it('writes the first candidate only, and every later caller reads it back', async () => {
      const m = marker();
      const first = await m.generation('gen-a');
      expect(first).toEqual({ id: 'gen-a', created: true });
      const racing = await Promise.all(['gen-b', 'gen-c'].map((c) => m.generation(c)));
      expect(racing).toEqual([
        { id: 'gen-a', created: false },
        { id: 'gen-a', created: false },
      ]);
    });
  });
}

/**
 * The behaviour every `ModerationStore` promises, part by part (each part's suite can also run
 * alone against a store of that part only), for `describeStoreContract`. Times are near
 * `Date.now()` because Redis expires keys by its own clock; `now` arguments move the reader, and
 * `clock` lets a claim's TTL pass (see `elapse`), instead of sleeping.
 */
export function describeModerationContract(
  moderation: () => ModerationStore,
  clock: () => ContractClock = () => ({}),
): void {
  describeBanStoreContract(moderation);
  describeSettingsStoreContract(moderation);
  describePinStoreContract(moderation);
  describeAuditLogContract(moderation);
  describeHeldQueueContract(moderation);
  describeRequestClaimsContract(moderation, clock);
  describeGenerationMarkerContract(moderation);
}
