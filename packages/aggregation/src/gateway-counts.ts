import type { StreamTable } from './stream-table.js';

const NO_SLOTS = new Int32Array(0);
const NO_COUNTS = new Uint32Array(0);

/** Shortest and longest report interval believed from a gateway, so bad data cannot pin it. */
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 60_000;

/**
 * What one gateway contributes to one partition: its current stream list (as slots of the
 * partition's table) and the counts last applied for it. The sums in the table always equal the
 * sum of `counts` over the live gateways, which is what lets a report be applied as a difference.
 */
export class GatewayCounts {
  seq: number;
  lastSeen: number;
  intervalMs: number;
  /** Version of `slots`; meaningful only while `hasList`. */
  dict = 0;
  hasList = false;
  slots: Int32Array = NO_SLOTS;
  /** The counts in the sums, aligned with `slots`. Owned: the decoded report's array is kept. */
  counts: Uint32Array = NO_COUNTS;

  constructor(
    readonly id: string,
    seq: number,
    now: number,
    intervalMs: number,
  ) {
    this.seq = seq;
    this.lastSeen = now;
    this.intervalMs = clampInterval(intervalMs);
  }

  touch(seq: number, now: number, intervalMs: number): void {
    this.seq = seq;
    this.lastSeen = now;
    this.intervalMs = clampInterval(intervalMs);
  }
}

function clampInterval(ms: number): number {
  return Number.isFinite(ms) ? Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, ms)) : 1000;
}

/** Takes the gateway's counts out of the sums and its references off its streams. O(list). */
export function dropCounts(gw: GatewayCounts, table: StreamTable): void {
  const { slots, counts } = gw;
  const { totals, refs } = table;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const c = counts[i]!;
    if (c !== 0) {
      totals[s] = totals[s]! - c;
      table.markDirty(s);
    }
    refs[s] = refs[s]! - 1;
  }
  gw.slots = NO_SLOTS;
  gw.counts = NO_COUNTS;
  gw.hasList = false;
}

/**
 * Replaces the gateway's stream list with version `dict`, keeping its counts in the sums for the
 * streams both versions hold (so they are not dirtied) and taking them out for the others.
 *
 * Consecutive versions of a gateway's list are mostly the same streams in the same order, and
 * comparing a freshly decoded name with the stored one costs about a third of a map lookup, which
 * must hash it (measured: ~45 ns against ~140 ns). So the new list is walked against the old one
 * with a cursor; only at an edit is the stream looked up, and the cursor resyncs to where that
 * stream sat in the old list. O(n + old n).
 */
export function installList(
  gw: GatewayCounts,
  table: StreamTable,
  dict: number,
  streams: readonly unknown[],
  now: number,
): boolean {
  for (const name of streams) if (typeof name !== 'string') return false;
  const oldSlots = gw.slots;
  const oldCounts = gw.counts;
  const oldN = oldSlots.length;
  const taken = new Uint8Array(oldN);
  const names = table.names;
  for (let j = 0; j < oldN; j++) table.where[oldSlots[j]!] = j + 1;
  const n = streams.length;
  const slots = new Int32Array(n);
  const carried = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const name = streams[i] as string;
    let at = -1;
    let s: number;
    if (j < oldN && taken[j] === 0 && names[oldSlots[j]!] === name) {
      at = j;
      s = oldSlots[j]!;
    } else {
      // slotFor may grow the arrays, so they are read through the table after it.
      s = table.slotFor(name, now);
      const w = table.where[s]! - 1;
      if (w >= 0 && taken[w] === 0) at = w;
    }
    slots[i] = s;
    if (at >= 0) {
      taken[at] = 1;
      carried[i] = oldCounts[at]!;
      j = at + 1;
    } else table.refs[s] = table.refs[s]! + 1;
  }
  const { totals, refs, where } = table;
  for (let k = 0; k < oldN; k++) {
    const s = oldSlots[k]!;
    where[s] = 0;
    if (taken[k] === 1) continue;
    refs[s] = refs[s]! - 1;
    const c = oldCounts[k]!;
    if (c !== 0) {
      totals[s] = totals[s]! - c;
      table.markDirty(s);
    }
  }
  gw.slots = slots;
  gw.counts = carried;
  gw.dict = dict;
  gw.hasList = true;
  return true;
}

/**
 * Applies a new set of counts for the gateway's current list as differences: O(n), no
 * allocation. Takes ownership of `counts`. Returns how many entries changed.
 */
export function applyCounts(gw: GatewayCounts, table: StreamTable, counts: Uint32Array): number {
  const slots = gw.slots;
  const prev = gw.counts;
  const { totals, dirty, dirtyQueue } = table;
  const n = counts.length;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const d = counts[i]! - prev[i]!;
    if (d !== 0) {
      const s = slots[i]!;
      totals[s] = totals[s]! + d;
      if (dirty[s] === 0) {
        dirty[s] = 1;
        dirtyQueue.push(s);
      }
      changed++;
    }
  }
  gw.counts = counts;
  return changed;
}

/**
 * Adds a report's chat counts (messages since the gateway's previous report, aligned with its
 * list) to the streams' sums for the next rates pass: O(n), no allocation. The caller has checked
 * the length. Returns the messages added.
 */
export function applyChat(gw: GatewayCounts, table: StreamTable, chat: Uint32Array): number {
  const slots = gw.slots;
  const { chat: sums, inRated, rated } = table;
  const n = chat.length;
  let messages = 0;
  for (let i = 0; i < n; i++) {
    const c = chat[i]!;
    if (c !== 0) {
      const s = slots[i]!;
      sums[s] = sums[s]! + c;
      messages += c;
      if (inRated[s] === 0) {
        inRated[s] = 1;
        rated.push(s);
      }
    }
  }
  return messages;
}
