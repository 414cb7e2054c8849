import { ErrorCode, RoarError, canModerateStream } from '@roar/protocol';
import type { Identity } from '../base/identity.js';

/** Who performs a moderation action: a signed-in user with roles, or an admin API key. */
export interface Actor {
  /** For the audit log: the user id, or `key:<name>` for an API key. */
  id: string;
  roles: readonly string[];
  /** API keys and the `admin` role may do everything. */
  admin: boolean;
}

/** Moderators and the broadcaster of `stream` (or of `*`), and admins, moderate it. */
export function canModerate(actor: Actor, stream: string): boolean {
  return actor.admin || canModerateStream(actor.roles, stream);
}

export function requireModerator(actor: Actor, stream: string): void {
  if (!canModerate(actor, stream)) {
    throw new RoarError(
      ErrorCode.Forbidden,
      `moderating ${stream} needs the moderator or broadcaster role for it`,
    );
  }
}

export function requireAdmin(actor: Actor): void {
  if (!actor.admin)
    throw new RoarError(ErrorCode.Forbidden, 'this needs the admin role or an API key');
}

/** Who a signed-in connection acts as in moderation (its WebSocket commands); anonymous ones may not. */
export function actorOf(identity: Identity): Actor {
  if (identity.anonymous) throw new RoarError(ErrorCode.Unauthenticated, 'sign in to moderate');
  return {
    id: identity.userId ?? identity.key,
    roles: identity.roles,
    admin: identity.roles.includes('admin'),
  };
}
