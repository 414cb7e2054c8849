import type { EncodedEvent } from '@roar/protocol';
import type { BatchHead } from './fanout-batch.js';
import type { Delivery } from './delivery.js';
import { Frames } from './fanout-frames.js';
import type { LatestSlots, SlotSpacing, SlotValue } from './latest-slots.js';

/**
 * The latest values a batch gave only its later slices (see `SliceFrames`): by key index, the
 * value's generation and the first slice that got it.
 */
export type Joined = Map<number, { gen: number; from: number }>;

/**
 * A batch's frames slice by slice. A big stream's frame goes out over several loop turns, one
 * slice of viewers per turn (`Fanout`), and on this machine a frame to 19,000 viewers takes about
 * 190 ms. Chat and every queued event are the same for every slice of a batch (a viewer's chat
 * never depends on its slice), but latest values are not held to the batch's start:
 *
 * - a newer value of a key sent with every frame (a live-state key, poll results, a Q&A board)
 *   that arrives while the batch is being written joins the slices not written yet, in place of
 *   the older value of its key: an update then reaches every viewer within one frame's writing,
 *   instead of waiting for the batch in progress and then its own. It stays waiting for the
 *   slices already written, which the next batch writes first;
 * - the next batch leaves a value out of the slices that already got that very value (same key,
 *   same generation; `previous`), so no viewer gets it twice, and a batch with nothing else new
 *   writes nothing to those slices.
 *
 * Reaction bursts (increments) and keys whose pushes are spaced (the viewer count) never join.
 */
export class SliceFrames {
  readonly #head: BatchHead;
  #full: readonly EncodedEvent[];
  #all: readonly EncodedEvent[];
  #frames: Frames | undefined;
  /** The slot values the batch carries now, by key index. */
  readonly #carried = new Map<number, SlotValue>();
  /** The generation of each key the slices written from now on hold or get (for `newer`). */
  readonly #gens = new Map<number, number>();
  /** The previous batch's joins not yet applied, by their first slice. */
  readonly #skips: { key: number; gen: number; from: number }[] = [];
  /** This batch's joins, for the next batch's `previous`: the last one of each key. */
  readonly joined: Joined = new Map();
  /** How many values joined this batch (a key may join more than once). */
  joins = 0;

  constructor(
    head: BatchHead,
    full: readonly EncodedEvent[],
    all: readonly EncodedEvent[],
    taken: readonly SlotValue[],
    previous: Joined | undefined,
  ) {
    this.#head = head;
    this.#full = full;
    this.#all = all;
    for (const v of taken) {
      this.#carried.set(v.key, v);
      this.#gens.set(v.key, v.gen);
      const before = previous?.get(v.key);
      if (before?.gen === v.gen) this.#skips.push({ key: v.key, gen: v.gen, from: before.from });
    }
    this.#skips.sort((a, b) => a.from - b.from);
  }

  /** The frames for `slice`, written now: slices are asked for in order, each once. */
  forSlice(slice: number, slots: LatestSlots, spacing: SlotSpacing): Frames {
    while (this.#skips.length > 0 && (this.#skips[0] as { from: number }).from <= slice) {
      const skip = this.#skips.shift() as { key: number; gen: number };
      // Unless a newer value of the key has joined this batch meanwhile.
      if (this.#carried.get(skip.key)?.gen === skip.gen) this.#replace(skip.key, undefined);
    }
    const newer = slots.newer(spacing, this.#gens);
    if (newer !== undefined)
      for (const v of newer) {
        this.#replace(v.key, v);
        this.#gens.set(v.key, v.gen);
        this.joined.set(v.key, { gen: v.gen, from: slice });
        this.joins++;
      }
    return (this.#frames ??= new Frames(this.#head, this.#full, this.#all));
  }

  /**
   * `slice` was written: it holds every value the batch carries there. Each value every slice of
   * the stream now holds is `observe`d, from its set to now.
   */
  written(
    slice: number,
    delivery: Delivery,
    slots: LatestSlots,
    now: number,
    observe: (ms: number, key: string) => void,
  ): void {
    for (const [key, gen] of this.#gens) {
      const held = (delivery.held[key] ??= []);
      if ((held[slice] ?? 0) >= gen) continue;
      held[slice] = gen;
      let least = gen;
      for (let j = 0; j < delivery.slices && least > 0; j++) least = Math.min(least, held[j] ?? 0);
      if (least > 0) slots.reached(key, least, now, observe);
    }
  }

  /** The key's value in the slices written from now on becomes `value` (none if undefined). */
  #replace(key: number, value: SlotValue | undefined): void {
    const old = this.#carried.get(key)?.event;
    const swap = (events: readonly EncodedEvent[]): EncodedEvent[] => {
      const out = old === undefined ? [...events] : events.filter((e) => e !== old);
      if (value !== undefined) out.push(value.event);
      return out;
    };
    const full = swap(this.#full);
    this.#all = this.#all === this.#full ? full : swap(this.#all);
    this.#full = full;
    if (value === undefined) this.#carried.delete(key);
    else this.#carried.set(key, value);
    this.#frames = undefined;
  }
}
