/** Who is on a connection, decided once at connect. */
export interface Identity {
  /** Stable key for rate limits and uniques: `u:<sub>`, `a:<anonId>` or `c:<connection>`. */
  key: string;
  /** The user id shown with chat (the JWT `sub`), or undefined for anonymous viewers. */
  userId: string | undefined;
  name: string;
  /** Roles from the token: `admin`, or scoped `moderator:<stream>`, `broadcaster:<stream>`... */
  roles: readonly string[];
  anonymous: boolean;
}

/** The badges shown next to a user's chat in `stream`: roles that apply there, unscoped. */
export function badgesFor(identity: Identity, stream: string): string[] | undefined {
  let badges: string[] | undefined;
  for (const role of identity.roles) {
    const colon = role.indexOf(':');
    const name = colon < 0 ? role : role.slice(0, colon);
    const scope = colon < 0 ? undefined : role.slice(colon + 1);
    if (scope !== undefined && scope !== stream && scope !== '*') continue;
    if (
      name === 'admin' ||
      name === 'moderator' ||
      name === 'broadcaster' ||
      name === 'subscriber'
    ) {
      badges ??= [];
      if (!badges.includes(name)) badges.push(name);
    }
  }
  return badges;
}

/** True when the identity holds `role` globally, for `stream`, or for every stream (`role:*`). */
export function hasRole(identity: Identity, role: string, stream?: string): boolean {
  return identity.roles.some(
    (r) => r === role || r === `${role}:*` || (stream !== undefined && r === `${role}:${stream}`),
  );
}
