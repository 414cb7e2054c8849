import { describe, expect, it } from 'vitest';
import { GLOBAL_SCOPE, type AuditEntry, type AuditLog } from './moderation.js';

/** Most audit entries per scope every contract fixture keeps. */
export const CONTRACT_AUDIT_CAPACITY = 5;

const audit = (action: string, scope = 'a'): Omit<AuditEntry, 'id'> => ({
  at: Date.now(),
  scope,
  actor: 'key:ops',
  action,
});

/**
 * What every `AuditLog` promises (see moderation.ts), for a log made with
 * `auditCapacity: CONTRACT_AUDIT_CAPACITY`.
 */
export function describeAuditLogContract(log: () => AuditLog): void {
  describe('audit', () => {
    it('lists a scope newest first and pages back with `before`', async () => {
      const m = log();
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
      const m = log();
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
}
