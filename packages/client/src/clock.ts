/** A scheduled callback that can be cancelled; cancelling twice, or after it ran, does nothing. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as the client sees it. Injected so tests drive reconnects, timeouts and playback
 * deterministically instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): Timer;
}

/** `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(handle) };
  },
};
