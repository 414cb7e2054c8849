import { canModerateStream } from '@roar/protocol';

/**
 * True when `roles` (from the server's welcome) let the user moderate `stream`, under the one
 * role grammar the server uses (`@roar/protocol`). The server checks again on every action; this
 * only decides whether to show the console.
 */
export function canModerate(roles: readonly string[], stream: string): boolean {
  return canModerateStream(roles, stream);
}

/**
 * The badge a chat message's author gets. A chat event's `user.roles` are already the badges
 * for its stream (`admin`, `moderator`, `broadcaster`, `subscriber`), not token roles.
 */
export function badge(roles: readonly string[] | undefined): string | undefined {
  if (!roles) return undefined;
  if (roles.includes('broadcaster')) return 'host';
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('moderator')) return 'mod';
  return undefined;
}
