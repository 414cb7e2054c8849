import type { Partition } from './partition.js';
import type { StoreWriter } from './store-writer.js';
import type { StreamRecord } from './stream-table.js';

/**
 * Time constant of the rates' exponential smoothing. Gateways report once a second at phases of
 * their own, so a one-second sample may hold two reports of a gateway or none; 2.5 s smooths that
 * out while a real change still shows within a few seconds.
 */
export const RATE_TIME_CONSTANT_MS = 2500;

/** A rate below this (per second) with nothing new reads as zero, so a quiet stream reaches 0. */
const RATE_FLOOR = 0.01;
/** A stored rate is replaced when the new one differs by this share of the larger... */
const SAVE_RELATIVE_STEP = 0.1;
/** ...and by at least this much per second. */
const SAVE_ABSOLUTE_STEP = 0.1;
/** Non-zero rates are saved again this often even when steady, so a stored `at` shows life. */
export const RATES_REFRESH_MS = 5000;

/** Rates as shown and stored: two decimals, so noise in the last bits never counts as a change. */
export function roundRate(rate: number): number {
  return Math.round(rate * 100) / 100;
}

function changed(rate: number, saved: number): boolean {
  if (rate === saved) return false;
  if (saved < 0 || rate === 0 || saved === 0) return true;
  const step = Math.abs(rate - saved);
  return step >= SAVE_ABSOLUTE_STEP && step >= SAVE_RELATIVE_STEP * Math.max(rate, saved);
}

/**
 * Turns the chat and reaction counts summed since its last pass into smoothed per-second rates
 * per stream, and hands meaningful changes to the store writer. A pass costs O(streams with
 * activity or rates not yet back at zero), never O(streams). Rates are never published on the
 * bus: they are for `snapshot()` and the store.
 */
export class RateMeter {
  readonly #writer: StoreWriter;

  constructor(writer: StoreWriter) {
    this.#writer = writer;
  }

  /**
   * Measures every rated stream of the partition over the time since its previous pass. Only a
   * warm partition saves: before then its sums may miss whole gateways, and the store holds the
   * previous owner's figures.
   */
  run(part: Partition, now: number): void {
    const dt = now - part.lastRatesAt;
    part.lastRatesAt = now;
    if (!(dt > 0)) return;
    const alpha = 1 - Math.exp(-dt / RATE_TIME_CONSTANT_MS);
    const perSecond = 1000 / dt;
    const { table } = part;
    const { chat, inRated, rated } = table;
    let kept = 0;
    for (let i = 0; i < rated.length; i++) {
      const slot = rated[i]!;
      const record = table.record(slot);
      // Cannot happen (a rated stream is never forgotten), but a freed slot must not stay listed.
      if (!record) {
        inRated[slot] = 0;
        continue;
      }
      record.chatRate = smooth(record.chatRate, chat[slot]! * perSecond, alpha);
      record.reactionRate = smooth(record.reactionRate, record.reactionsSince * perSecond, alpha);
      chat[slot] = 0;
      record.reactionsSince = 0;
      const settled = part.held(now) ? true : this.#save(record, now, part.epoch);
      if (settled && record.chatRate === 0 && record.reactionRate === 0) inRated[slot] = 0;
      else rated[kept++] = slot;
    }
    rated.length = kept;
  }

  /** Queues the record's rates when they changed or are due a refresh; true when zero is saved. */
  #save(record: StreamRecord, now: number, epoch: number): boolean {
    const chatPerS = roundRate(record.chatRate);
    const reactionsPerS = roundRate(record.reactionRate);
    const active = chatPerS > 0 || reactionsPerS > 0;
    if (
      changed(chatPerS, record.savedChatPerS) ||
      changed(reactionsPerS, record.savedReactionsPerS) ||
      (active && now - record.lastRatesSaveAt >= RATES_REFRESH_MS)
    ) {
      this.#writer.saveRates(record, { chatPerS, reactionsPerS, at: now }, epoch);
      record.savedChatPerS = chatPerS;
      record.savedReactionsPerS = reactionsPerS;
      record.lastRatesSaveAt = now;
    }
    return record.savedChatPerS === 0 && record.savedReactionsPerS === 0;
  }
}

function smooth(rate: number, sample: number, alpha: number): number {
  const next = rate + alpha * (sample - rate);
  return sample === 0 && next < RATE_FLOOR ? 0 : next;
}
