import { describe, expect, it } from 'vitest';
import {
  STATE_IDEMPOTENCY_KEYS,
  STATE_TOMBSTONES,
  type LiveStateStore,
  type StateWrite,
} from './live-state.js';

const T0 = 1_700_000_000_000;
const set = (key: string, value: unknown, more: Partial<StateWrite> = {}): StateWrite => ({
  key,
  json: JSON.stringify(value),
  ts: T0,
  maxKeys: 8,
  ...more,
});
const del = (key: string, more: Partial<StateWrite> = {}): StateWrite => ({
  key,
  json: undefined,
  ts: T0,
  maxKeys: 8,
  ...more,
});

/** What every `LiveStateStore` promises (see live-state.ts). */
export function describeLiveStateContract(state: () => LiveStateStore): void {
  describe('live state', () => {
    it('versions every write from the first write’s ts, the key’s version being the stream’s', async () => {
      const s = state();
      expect(await s.read('w')).toEqual({ version: 0, floor: 0, entries: new Map() });
      const a = await s.write('w', set('score', { home: 1, away: 0 }));
      expect(a).toEqual({ outcome: 'written', version: T0 + 1 });
      const b = await s.write('w', set('over', '12.3', { ts: T0 + 5 }));
      expect(b).toEqual({ outcome: 'written', version: T0 + 2 });
      const read = await s.read('w');
      expect(read.version).toBe(T0 + 2);
      expect(read.floor).toBe(T0);
      expect(read.entries.get('score')).toEqual({
        version: T0 + 1,
        ts: T0,
        json: '{"home":1,"away":0}',
      });
      expect(read.entries.get('over')).toEqual({ version: T0 + 2, ts: T0 + 5, json: '"12.3"' });
      expect((await s.read('other')).version).toBe(0);
    });

    it('writes conditionally: on the key’s version, 0 meaning absent, and says the current one', async () => {
      const s = state();
      expect(await s.write('c', set('k', 1, { ifVersion: 5 }))).toEqual({
        outcome: 'conflict',
        current: 0,
      });
      const first = await s.write('c', set('k', 1, { ifVersion: 0 }));
      expect(first.outcome).toBe('written');
      const v1 = (first as { version: number }).version;
      expect(await s.write('c', set('k', 2, { ifVersion: 0 }))).toEqual({
        outcome: 'conflict',
        current: v1,
      });
      expect(await s.write('c', set('k', 2, { ifVersion: v1 }))).toEqual({
        outcome: 'written',
        version: v1 + 1,
      });
      expect(await s.write('c', set('k', 3, { ifVersion: v1 }))).toEqual({
        outcome: 'conflict',
        current: v1 + 1,
      });
      expect((await s.read('c')).entries.get('k')?.json).toBe('2');
      // A deleted key counts as absent.
      expect(await s.write('c', del('k', { ifVersion: v1 + 1 }))).toEqual({
        outcome: 'written',
        version: v1 + 2,
      });
      expect(await s.write('c', set('k', 4, { ifVersion: v1 + 2 }))).toEqual({
        outcome: 'conflict',
        current: 0,
      });
      expect((await s.write('c', set('k', 4, { ifVersion: 0 }))).outcome).toBe('written');
    });

    it('lets exactly one of many racing conditional writes through', async () => {
      const s = state();
      const base = await s.write('race', set('k', 0));
      const v = (base as { version: number }).version;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => s.write('race', set('k', i + 1, { ifVersion: v }))),
      );
      expect(results.filter((r) => r.outcome === 'written')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'conflict')).toHaveLength(11);
      expect((await s.read('race')).version).toBe(v + 1);
    });

    it('answers a retry with an idempotency key with the first result, writing nothing', async () => {
      const s = state();
      const first = await s.write('i', set('k', 1, { idempotencyKey: 'req-1' }));
      expect(first.outcome).toBe('written');
      const v = (first as { version: number }).version;
      await s.write('i', set('other', 1));
      const again = await s.write('i', set('k', 99, { idempotencyKey: 'req-1', ifVersion: 0 }));
      expect(again).toEqual({ outcome: 'replayed', version: v, key: 'k' });
      const read = await s.read('i');
      expect(read.entries.get('k')?.json).toBe('1');
      expect(read.version).toBe(v + 1);
      // Keys are per stream.
      expect((await s.write('i2', set('k', 1, { idempotencyKey: 'req-1' }))).outcome).toBe(
        'written',
      );
      // A refused write uses no key up.
      expect(
        (await s.write('i', set('k', 5, { ifVersion: 1, idempotencyKey: 'req-2' }))).outcome,
      ).toBe('conflict');
      expect((await s.write('i', set('k', 5, { idempotencyKey: 'req-2' }))).outcome).toBe(
        'written',
      );
    });

    it(`remembers the newest ${STATE_IDEMPOTENCY_KEYS} idempotency keys of a stream`, async () => {
      const s = state();
      for (let i = 0; i <= STATE_IDEMPOTENCY_KEYS; i++)
        await s.write('many', set('k', i, { idempotencyKey: `r${i}` }));
      expect((await s.write('many', set('k', 'x', { idempotencyKey: 'r1' }))).outcome).toBe(
        'replayed',
      );
      expect((await s.write('many', set('k', 'x', { idempotencyKey: 'r0' }))).outcome).toBe(
        'written',
      );
    });

    it('refuses a new key past maxKeys and a delete of what is absent', async () => {
      const s = state();
      for (const k of ['a', 'b', 'c']) await s.write('full', set(k, 1, { maxKeys: 3 }));
      expect(await s.write('full', set('d', 1, { maxKeys: 3 }))).toEqual({ outcome: 'full' });
      // Rewriting a key that exists is not a new key.
      expect((await s.write('full', set('a', 2, { maxKeys: 3 }))).outcome).toBe('written');
      expect(await s.write('full', del('zz'))).toEqual({ outcome: 'missing' });
      expect((await s.write('full', del('a'))).outcome).toBe('written');
      expect(await s.write('full', del('a'))).toEqual({ outcome: 'missing' });
      expect((await s.write('full', set('d', 1, { maxKeys: 3 }))).outcome).toBe('written');
    });

    it(`keeps tombstones for deltas, the newest ${STATE_TOMBSTONES}, raising the floor past dropped ones`, async () => {
      const s = state();
      const w = async (write: StateWrite): Promise<number> => {
        const r = await s.write('t', write);
        if (r.outcome !== 'written') throw new Error(r.outcome);
        return r.version;
      };
      await w(set('k0', 1));
      const deleted = await w(del('k0', { ts: T0 + 1 }));
      expect((await s.read('t')).entries.get('k0')).toEqual({
        version: deleted,
        ts: T0 + 1,
        json: undefined,
      });
      expect((await s.read('t')).floor).toBe(T0);
      const deletes: number[] = [deleted];
      for (let i = 1; i <= STATE_TOMBSTONES; i++) {
        await w(set(`k${i}`, i, { maxKeys: 100 }));
        deletes.push(await w(del(`k${i}`)));
      }
      const read = await s.read('t');
      expect(read.entries.has('k0')).toBe(false);
      expect(read.entries.size).toBe(STATE_TOMBSTONES);
      expect(read.floor).toBe(deleted);
      expect([...read.entries.values()].every((e) => e.json === undefined)).toBe(true);
      // Setting a tombstoned key again makes it live, and the new key counts against maxKeys.
      await w(set('k5', 'back', { maxKeys: 1 }));
      expect(await s.write('t', set('k6', 'no', { maxKeys: 1 }))).toEqual({ outcome: 'full' });
    });

    it('refuses bad keys and times before writing', async () => {
      const s = state();
      for (const bad of [
        set('a b', 1),
        set('', 1),
        set('k', 1, { ts: 0 }),
        set('k', 1, { idempotencyKey: 'a b' }),
      ])
        await expect(s.write('bad', bad)).rejects.toThrow(RangeError);
      expect((await s.read('bad')).version).toBe(0);
    });
  });
}
