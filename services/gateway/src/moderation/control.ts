import { pack, unpack } from '@roar/protocol';
import type { StreamSettings } from '@roar/store';

/**
 * Cluster-wide moderation news on `<prefix>.control`: every gateway applies it to its caches
 * within moments, so a ban or a rule change is enforced everywhere in well under a second. Redis
 * holds the truth, so a gateway that missed some (NATS was down) reloads from it.
 */
export type ControlEvent =
  | { kind: 'ban'; scope: string; userId: string; until: number | null }
  | { kind: 'unban'; scope: string; userId: string }
  | { kind: 'settings'; stream: string; overrides: Partial<StreamSettings> }
  | { kind: 'level'; level: number | null }
  /** Reload every cache from the store: a gateway wrote back what a restarted Redis lost. */
  | { kind: 'reload' };

export function encodeControl(event: ControlEvent): Uint8Array {
  return pack(event);
}

/** Decodes control bytes from a peer; undefined when they are not a control event. */
export function decodeControl(bytes: Uint8Array): ControlEvent | undefined {
  let v: unknown;
  try {
    v = unpack(bytes);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Partial<Record<string, unknown>>;
  switch (e.kind) {
    case 'ban':
      if (
        typeof e.scope === 'string' &&
        typeof e.userId === 'string' &&
        (e.until === null || typeof e.until === 'number')
      ) {
        return { kind: 'ban', scope: e.scope, userId: e.userId, until: e.until };
      }
      return undefined;
    case 'unban':
      if (typeof e.scope === 'string' && typeof e.userId === 'string')
        return { kind: 'unban', scope: e.scope, userId: e.userId };
      return undefined;
    case 'settings':
      if (typeof e.stream === 'string' && typeof e.overrides === 'object' && e.overrides !== null) {
        return {
          kind: 'settings',
          stream: e.stream,
          overrides: e.overrides as Partial<StreamSettings>,
        };
      }
      return undefined;
    case 'level':
      if (e.level === null || typeof e.level === 'number') return { kind: 'level', level: e.level };
      return undefined;
    case 'reload':
      return { kind: 'reload' };
    default:
      return undefined;
  }
}
