import type { Ban } from './moderation.js';

/** Ended at `now`: `until` is the first moment the user may speak again. */
export function banEnded(ban: Ban, now: number): boolean {
  return ban.until !== null && ban.until <= now;
}

/** Oldest issued first; the user id breaks ties, so every store lists bans in the same order. */
export function byIssue(a: Ban, b: Ban): number {
  return a.at - b.at || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
}
