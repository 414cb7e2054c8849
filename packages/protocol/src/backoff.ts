/** How reconnect delays grow: attempt n waits up to min(maxDelayMs, initialDelayMs·multiplier^n). */
export interface BackoffCurve {
  /** Ceiling of the first delay. */
  initialDelayMs: number;
  /** Ceiling no delay exceeds. */
  maxDelayMs: number;
  /** Growth of the ceiling per failed attempt. */
  multiplier: number;
}

/** The curve every Roar client reconnects on unless told otherwise (the SDK, the overlay). */
export const RECONNECT_BACKOFF: Readonly<BackoffCurve> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
};

/** The ceiling of attempt `attempt`'s delay (attempts count from 0). */
export function backoffCeilingMs(attempt: number, curve: Readonly<BackoffCurve>): number {
  const { initialDelayMs, maxDelayMs, multiplier } = curve;
  // Capped before the power can overflow to Infinity on a very long outage.
  const exponent = Math.min(attempt, 64);
  return Math.min(maxDelayMs, initialDelayMs * multiplier ** exponent);
}

/**
 * Full jitter: a uniformly random delay in [0, ceiling) for attempt `attempt`. Spreading the whole
 * interval, rather than adding a little noise to a fixed delay, is what keeps a million clients
 * dropped by one deploy from coming back in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  curve: Readonly<BackoffCurve>,
  random: () => number,
): number {
  return Math.floor(random() * backoffCeilingMs(attempt, curve));
}
