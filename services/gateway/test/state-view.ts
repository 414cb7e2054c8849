import type { TestClient } from '@roar/testkit';

/**
 * What a viewer holds of `stream`'s live state after applying every state event it got, in
 * order, as the SDK's LiveState does: a snapshot starts over; a change no newer than the key's
 * version is ignored, a deletion's version included (a late older value cannot bring a key
 * back). Live keys only.
 */
export function stateView(
  c: TestClient,
  stream: string,
): Map<string, { version: number; value: unknown }> {
  const held = new Map<string, { version: number; value: unknown; deleted: boolean }>();
  for (const e of c.eventsOf(stream, 'state')) {
    if (e.snapshot) held.clear();
    for (const [k, entry] of Object.entries(e.changes)) {
      if ((held.get(k)?.version ?? 0) >= entry.version) continue;
      held.set(k, { version: entry.version, value: entry.value, deleted: entry.deleted === true });
    }
  }
  const live = new Map<string, { version: number; value: unknown }>();
  for (const [k, { version, value, deleted }] of held)
    if (!deleted) live.set(k, { version, value });
  return live;
}

/** `stateView` as key → value. */
export const stateValues = (c: TestClient, stream: string): Record<string, unknown> =>
  Object.fromEntries([...stateView(c, stream)].map(([k, v]) => [k, v.value]));
