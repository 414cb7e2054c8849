import { describe, expect, it } from 'vitest';
import { awkward } from './contract-fixtures.js';
import type { HeldMessage, HeldQueue } from './moderation.js';

/** Most held messages per stream every contract fixture keeps. */
export const CONTRACT_HELD_CAPACITY = 4;

const held = (id: string, stream = 'h'): HeldMessage => ({
  id,
  bytes: awkward(id),
  stream,
  at: 1_700_000_000_000,
  reason: 'hold:slow',
});

/**
 * What every `HeldQueue` promises (see moderation.ts), for a queue made with
 * `heldCapacity: CONTRACT_HELD_CAPACITY`.
 */
export function describeHeldQueueContract(queue: () => HeldQueue): void {
  describe('held', () => {
    it('lists held messages oldest first, and drops the oldest past the capacity', async () => {
      const m = queue();
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
      const m = queue();
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
      const m = queue();
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
}
