import { describe, expect, it } from 'vitest';
import { GLOBAL_SCOPE, type Ban, type BanStore } from './moderation.js';

const ban = (userId: string, fields: Partial<Ban> = {}): Ban => ({
  userId,
  scope: 's',
  until: null,
  reason: `spam by ${userId}`,
  by: 'mod-1',
  at: Date.now(),
  ...fields,
});

/** What every `BanStore` promises (see moderation.ts); `now` arguments move the reader. */
export function describeBanStoreContract(bans: () => BanStore): void {
  describe('bans', () => {
    it('lists bans oldest first, replaces a user’s ban, and removes it', async () => {
      const m = bans();
      const t = Date.now();
      await m.putBan(ban('bob', { at: t - 1000 }));
      await m.putBan(ban('amy', { at: t - 2000, until: t + 60_000 }));
      expect(await m.listBans('s', t)).toEqual([
        ban('amy', { at: t - 2000, until: t + 60_000 }),
        ban('bob', { at: t - 1000 }),
      ]);

      const again = ban('amy', { at: t, reason: 'again', by: 'mod-2' });
      await m.putBan(again);
      expect(await m.listBans('s', t)).toEqual([ban('bob', { at: t - 1000 }), again]);

      expect(await m.removeBan('s', 'amy')).toBe(true);
      expect(await m.removeBan('s', 'amy')).toBe(false);
      expect(await m.removeBan('s', 'nobody')).toBe(false);
      expect((await m.listBans('s', t)).map((b) => b.userId)).toEqual(['bob']);
      expect(await m.listBans('empty', t)).toEqual([]);
    });

    it('keeps streams and the global scope apart', async () => {
      const m = bans();
      const t = Date.now();
      await m.putBan(ban('eve', { scope: 's1', at: t }));
      await m.putBan(ban('eve', { scope: GLOBAL_SCOPE, at: t, reason: 'everywhere' }));
      await m.putBan(ban('max', { scope: 's2', at: t }));

      expect(await m.listBans('s1', t)).toEqual([ban('eve', { scope: 's1', at: t })]);
      expect(await m.listBans('s2', t)).toEqual([ban('max', { scope: 's2', at: t })]);
      expect(await m.listBans(GLOBAL_SCOPE, t)).toEqual([
        ban('eve', { scope: GLOBAL_SCOPE, at: t, reason: 'everywhere' }),
      ]);
      expect(await m.removeBan('s1', 'eve')).toBe(true);
      expect(await m.listBans(GLOBAL_SCOPE, t)).toHaveLength(1);
      expect(await m.removeBan(GLOBAL_SCOPE, 'max')).toBe(false);
    });

    it('stops listing a timeout once it ends, and a ban replaced by a timeout ends with it', async () => {
      const m = bans();
      const t = Date.now();
      await m.putBan(ban('tim', { at: t, until: t + 60_000 }));
      await m.putBan(ban('pat', { at: t }));
      await m.putBan(ban('old', { at: t - 120_000, until: t - 60_000 }));

      const listed = async (now: number): Promise<string[]> =>
        (await m.listBans('s', now)).map((b) => b.userId).sort();
      expect(await listed(t)).toEqual(['pat', 'tim']);
      expect(await listed(t + 59_999)).toEqual(['pat', 'tim']);
      expect(await listed(t + 60_000)).toEqual(['pat']);
      // Reading ahead of time removed nothing that still holds now.
      expect(await listed(t)).toEqual(['pat', 'tim']);

      await m.putBan(ban('pat', { at: t + 1, until: t + 30_000 }));
      expect(await listed(t + 30_000)).toEqual(['tim']);
      await m.putBan(ban('tim', { at: t + 2 }));
      expect(await listed(t + 10 * 60_000)).toEqual(['tim']);
    });
  });
}
