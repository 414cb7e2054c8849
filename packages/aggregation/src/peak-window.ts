import type { StreamRecord } from './stream-table.js';

/**
 * Peaks are recorded only from totals that held for a whole window in which no gateway could be
 * counted twice.
 *
 * A gateway that crashes keeps its last counts in the sums until it is expired, while its viewers
 * reconnect to the others and are counted there too: for a few report intervals every total is
 * inflated, and a peak taken from one of them would be stored for good. So a partition notes the
 * last moment it was not clean (`cleanSince`: a gateway overdue, a gateway dropped, the warm-up, a
 * stall), and a stream's peak may rise only to the lowest total it showed over a window of
 * `holdMs` that lies entirely after that moment. A doubled total is visible unsuspected only from
 * the crash (after the gateway's last report) until the gateway is overdue (`SUSPECT_INTERVALS` of
 * its interval after that report), which is shorter than the window, so no window's lowest total
 * can be a doubled one. The price: a real total must hold for up to two windows to become the
 * peak.
 */
export const SUSPECT_INTERVALS = 2;

/** Notes a total the stream showed: the current window's lowest so far. */
export function notePeakTotal(record: StreamRecord, total: number): void {
  if (total < record.holdMin) record.holdMin = total;
}

/**
 * Closes the stream's current window when it has lasted `holdMs`, raising the peak to the window's
 * lowest total when the whole window was clean (after `cleanSince`), and opens the next one.
 * Returns true when the peak rose.
 */
export function settlePeak(
  record: StreamRecord,
  total: number,
  now: number,
  cleanSince: number,
  holdMs: number,
): boolean {
  if (cleanSince >= record.holdFrom) {
    record.holdFrom = now;
    record.holdMin = total;
    return false;
  }
  if (now - record.holdFrom < holdMs) return false;
  const lowest = Math.min(record.holdMin, total);
  record.holdFrom = now;
  record.holdMin = total;
  if (lowest <= record.peak) return false;
  record.peak = lowest;
  return true;
}
