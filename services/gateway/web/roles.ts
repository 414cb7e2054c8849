/**
 * True when `roles` (from the server's welcome) let the user moderate `stream`: the admin role,
 * or the moderator or broadcaster role for that stream or for every stream (`*`). The server
 * checks again on every action; this only decides whether to show the console.
 */
export function canModerate(roles: readonly string[], stream: string): boolean {
  return roles.some(
    (role) =>
      role === 'admin' ||
      role === `moderator:${stream}` ||
      role === `broadcaster:${stream}` ||
      role === 'moderator:*' ||
      role === 'broadcaster:*',
  );
}

/** The badge a chat message's author gets in `stream`, if any. */
export function badge(roles: readonly string[] | undefined, stream: string): string | undefined {
  if (!roles) return undefined;
  if (roles.includes(`broadcaster:${stream}`) || roles.includes('broadcaster:*')) return 'host';
  if (roles.includes('admin')) return 'admin';
  if (roles.includes(`moderator:${stream}`) || roles.includes('moderator:*')) return 'mod';
  return undefined;
}
