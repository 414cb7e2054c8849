/** How long decisions may be cached (`ROAR_HOOK_DEFAULT_TTL_S`, `ROAR_HOOK_MAX_TTL_S`). */
export interface TtlLimits {
  defaultTtlS: number;
  maxTtlS: number;
  now: () => number;
}

/**
 * Milliseconds a decision may be cached: the backend's `ttlS` (a number ≥ 0; the default when
 * absent), capped at the maximum and, when the decision itself ends at `expiresAt` (epoch ms),
 * never past that. Anything else the backend sends for `ttlS` is a malformed answer.
 */
export function ttlMs(ttlS: unknown, expiresAt: number | undefined, limits: TtlLimits): number {
  if (ttlS !== undefined && (typeof ttlS !== 'number' || !(ttlS >= 0))) {
    throw new Error('ttlS must be a number of seconds, 0 or more');
  }
  let ms = Math.min(ttlS ?? limits.defaultTtlS, limits.maxTtlS) * 1000;
  if (expiresAt !== undefined) ms = Math.min(ms, expiresAt - limits.now());
  return ms;
}
