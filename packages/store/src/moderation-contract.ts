import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import {
  GLOBAL_SCOPE,
  type AuditEntry,
  type Ban,
  type HeldMessage,
  type ModerationStore,
  type StreamSettings,
} from './moderation.js';
import type { HistoryEntry } from './store.js';

/** Most audit entries per scope every contract fixture keeps. */
export const CONTRACT_AUDIT_CAPACITY = 5;
/** Most held messages per stream every contract fixture keeps. */
export const CONTRACT_HELD_CAPACITY = 4;

/** Bytes no text codec would let through unchanged. */
const awkward = (body: string): Uint8Array =>
  new Uint8Array([0x00, ...new TextEncoder().encode(body), 0xff, 0x80, 0x00]);

const ban = (userId: string, fields: Partial<Ban> = {}): Ban => ({
  userId,
  scope: 's',
  until: null,
  reason: `spam by ${userId}`,
  by: 'mod-1',
  at: Date.now(),
  ...fields,
});

const held = (id: string, stream = 'h'): HeldMessage => ({
  id,
  bytes: awkward(id),
  stream,
  at: 1_700_000_000_000,
  reason: 'hold:slow',
});

const audit = (action: string, scope = 'a'): Omit<AuditEntry, 'id'> => ({
  at: Date.now(),
  scope,
  actor: 'key:ops',
  action,
});

/**
 * The behaviour every `ModerationStore` promises (see moderation.ts), for `describeStoreContract`.
 * Times are real (near `Date.now()`) because Redis also expires keys by its own clock; `now`
 * arguments move the reader instead of sleeping.
 */
export function describeModerationContract(moderation: () => ModerationStore): void {
  describe('bans', () => {
    it('lists bans oldest first, replaces a user’s ban, and removes it', async () => {
      const m = moderation();
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
      const m = moderation();
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
      const m = moderation();
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

  describe('settings', () => {
    it('returns exactly what was stored, and a put replaces rather than merges', async () => {
      const m = moderation();
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

  describe('pin', () => {
    it('pins, replaces and unpins a message with its bytes intact', async () => {
      const m = moderation();
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

  describe('audit', () => {
    it('lists a scope newest first and pages back with `before`', async () => {
      const m = moderation();
      const first = await m.appendAudit({
        ...audit('ban'),
        target: 'bob',
        reason: 'spam',
        details: { until: null, terms: ['a', 'b'], nested: { n: 1 } },
      });
      expect(first).toMatchObject({ scope: 'a', action: 'ban', target: 'bob' });
      const second = await m.appendAudit(audit('unban'));
      const third = await m.appendAudit(audit('pin'));
      const global = await m.appendAudit(audit('ban', GLOBAL_SCOPE));
      expect(new Set([first.id, second.id, third.id]).size).toBe(3);

      expect(await m.listAudit('a', 10)).toEqual([third, second, first]);
      expect(await m.listAudit('a', 2)).toEqual([third, second]);
      expect(await m.listAudit('a', 2, second.id)).toEqual([first]);
      expect(await m.listAudit('a', 10, first.id)).toEqual([]);
      expect(await m.listAudit('a', 0)).toEqual([]);
      expect(await m.listAudit(GLOBAL_SCOPE, 10)).toEqual([global]);
      expect(await m.listAudit('none', 10)).toEqual([]);
    });

    it('keeps the newest entries up to the capacity, and paging walks them all', async () => {
      const m = moderation();
      const appended: AuditEntry[] = [];
      for (let i = 0; i < CONTRACT_AUDIT_CAPACITY + 3; i++) {
        appended.push(await m.appendAudit(audit(`action-${i}`, 'cap')));
      }
      const newest = appended.slice(-CONTRACT_AUDIT_CAPACITY).reverse();
      expect(await m.listAudit('cap', 100)).toEqual(newest);
      expect(await m.listAudit('cap', Infinity)).toEqual(newest);

      const paged: AuditEntry[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await m.listAudit('cap', 2, before);
        if (page.length === 0) break;
        paged.push(...page);
        before = page.at(-1)?.id;
      }
      expect(paged).toEqual(newest);
    });
  });

  describe('held', () => {
    it('lists held messages oldest first, and drops the oldest past the capacity', async () => {
      const m = moderation();
      await m.hold(held('1'));
      await m.hold(held('2'));
      await m.hold(held('x', 'elsewhere'));
      expect(await m.listHeld('h')).toEqual([held('1'), held('2')]);
      expect(await m.listHeld('none')).toEqual([]);

      const ids = Array.from({ length: CONTRACT_HELD_CAPACITY + 2 }, (_, i) => `c${i}`);
      for (const id of ids) await m.hold(held(id, 'cap'));
      const kept = await m.listHeld('cap');
      expect(kept.map((h) => h.id)).toEqual(ids.slice(-CONTRACT_HELD_CAPACITY));
      expect(kept[0]?.bytes).toEqual(awkward(ids[2] ?? ''));
      expect(kept[0]?.bytes).toBeInstanceOf(Uint8Array);
    });

    it('replaces a message held again and makes it the newest', async () => {
      const m = moderation();
      await m.hold(held('1'));
      await m.hold(held('2'));
      await m.hold({ ...held('1'), reason: 'check:terms', bytes: awkward('edited') });
      const list = await m.listHeld('h');
      expect(list.map((h) => [h.id, h.reason])).toEqual([
        ['2', 'hold:slow'],
        ['1', 'check:terms'],
      ]);
      expect(list[1]?.bytes).toEqual(awkward('edited'));
    });

    it('gives a held message to exactly one taker', async () => {
      const m = moderation();
      const message = held('t1');
      await m.hold(message);
      await m.hold(held('t2'));
      expect(await m.takeHeld('h', 't1')).toEqual(message);
      expect(await m.takeHeld('h', 't1')).toBeUndefined();
      expect(await m.takeHeld('h', 'never')).toBeUndefined();
      expect((await m.listHeld('h')).map((h) => h.id)).toEqual(['t2']);

      const takes = await Promise.all(Array.from({ length: 10 }, () => m.takeHeld('h', 't2')));
      expect(takes.filter((t) => t !== undefined)).toHaveLength(1);
      expect(await m.listHeld('h')).toEqual([]);
    });
  });

  describe('claimRequest', () => {
    it('grants a key once until its ttl passes', async () => {
      const m = moderation();
      const started = Date.now();
      expect(await m.claimRequest('req-1', 200)).toBe(true);
      expect(await m.claimRequest('req-1', 200)).toBe(false);
      expect(await m.claimRequest('req-2', 200)).toBe(true);
      await waitFor(() => m.claimRequest('req-1', 10_000), {
        timeoutMs: 3000,
        message: 'the claim to expire',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(await m.claimRequest('req-1', 10_000)).toBe(false);
    });

    it('lets a released key be claimed again, and only that key', async () => {
      const m = moderation();
      expect(await m.claimRequest('rel-1', 60_000)).toBe(true);
      expect(await m.claimRequest('rel-2', 60_000)).toBe(true);
      await m.releaseRequest('rel-1');
      await m.releaseRequest('never-claimed');
      expect(await m.claimRequest('rel-1', 60_000)).toBe(true);
      expect(await m.claimRequest('rel-1', 60_000)).toBe(false);
      expect(await m.claimRequest('rel-2', 60_000)).toBe(false);
    });
  });

  describe('generation', () => {
    it('writes the first candidate only, and every later caller reads it back', async () => {
      const m = moderation();
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
