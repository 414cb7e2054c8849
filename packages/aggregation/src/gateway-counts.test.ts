import { describe, expect, it } from 'vitest';
import { applyCounts, dropCounts, GatewayCounts, installList } from './gateway-counts.js';
import { StreamTable } from './stream-table.js';

describe('gateway counts', () => {
  it('keeps sums and references equal to a recount through edits, shuffles and duplicates', () => {
    let seed = 11;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const table = new StreamTable(() => undefined);
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const gws = [0, 1, 2].map((g) => new GatewayCounts(`g${g}`, 0, 0, 1000));
    const lists = gws.map(() => [] as string[]);
    const counts = gws.map(() => new Uint32Array(0));
    for (let round = 0; round < 300; round++) {
      const g = rand(3);
      const gw = gws[g]!;
      let list = lists[g]!.slice();
      const edit = rand(6);
      if (edit === 0) list.splice(rand(list.length + 1), 0, names[rand(40)]!);
      else if (edit === 1 && list.length > 0) list.splice(rand(list.length), 1);
      else if (edit === 2) list = list.map((s) => (rand(4) === 0 ? names[rand(40)]! : s));
      else if (edit === 3) list.sort(() => rand(3) - 1);
      else if (edit === 4 && list.length > 0) list.push(list[rand(list.length)]!);
      if (edit === 5 && rand(20) === 0) {
        dropCounts(gw, table);
        list = [];
      }
      // Fresh strings, as the decoder makes them.
      expect(
        installList(
          gw,
          table,
          round,
          list.map((s) => `${s} `.trim()),
          0,
        ),
      ).toBe(true);
      const c = Uint32Array.from(list, () => rand(100));
      applyCounts(gw, table, c);
      lists[g] = list;
      counts[g] = c;
      for (const name of names) {
        let total = 0;
        let refs = 0;
        lists.forEach((l, k) =>
          l.forEach((s, i) => {
            if (s !== name) return;
            total += counts[k]![i]!;
            refs++;
          }),
        );
        const slot = table.get(name)?.slot;
        expect(slot === undefined ? 0 : table.totals[slot], `${name} at ${round}`).toBe(total);
        expect(slot === undefined ? 0 : table.refs[slot]).toBe(refs);
      }
    }
    expect(table.where.every((w) => w === 0)).toBe(true);
  });

  it('does not dirty streams whose count is unchanged across a list change', () => {
    const table = new StreamTable(() => undefined);
    const gw = new GatewayCounts('g', 0, 0, 1000);
    installList(gw, table, 1, ['a', 'b', 'c'], 0);
    applyCounts(gw, table, Uint32Array.of(1, 2, 3));
    table.dirtyQueue.length = 0;
    table.dirty.fill(0);
    installList(gw, table, 2, ['a', 'x', 'c'], 0);
    applyCounts(gw, table, Uint32Array.of(1, 5, 3));
    const dirtied = table.dirtyQueue.map((s) => table.record(s)?.name).sort();
    expect(dirtied).toEqual(['b', 'x']);
  });

  it('rejects a list that is not all strings and leaves the old one in place', () => {
    const table = new StreamTable(() => undefined);
    const gw = new GatewayCounts('g', 0, 0, 1000);
    installList(gw, table, 1, ['a'], 0);
    applyCounts(gw, table, Uint32Array.of(4));
    expect(installList(gw, table, 2, ['a', 7], 0)).toBe(false);
    expect(gw.dict).toBe(1);
    expect(table.totals[table.get('a')!.slot]).toBe(4);
  });
});
