import { createHash, timingSafeEqual } from 'node:crypto';
import { authorizationCredentials } from './auth.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether a request may read `/metrics` (and `/v1/scale`, which says as much about capacity):
 * without a configured token, always (keep it off the public edge; see operations); with one,
 * only with `Authorization: Bearer <token>`, compared in constant time.
 */
export function metricsAllowed(
  token: string | undefined,
  authorization: string | undefined,
): boolean {
  if (token === undefined) return true;
  const credentials = authorizationCredentials(authorization);
  if (credentials?.scheme !== 'bearer') return false;
  return timingSafeEqual(digest(credentials.value), digest(token));
}
