/** Runs `callback` after `delayMs`; returns the function that cancels it. Injected by tests. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

export const schedule: Schedule = (callback, delayMs) => {
  const handle = setTimeout(callback, delayMs);
  return () => clearTimeout(handle);
};

/**
 * Full-jitter exponential backoff: a random delay in [0, min(maxMs, baseMs·2^attempt)). Spreading
 * the whole interval is what keeps every player page from coming back in the same instant after
 * a gateway restarts.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
