import { grantsRole, type RoleName } from '@roar/protocol';

/** Who is on a connection, decided once at connect. */
export interface Identity {
  /**
   * Stable key for rate limits and uniques, and the id shown for anonymous users: `u:<sub>`, or
   * for anonymous viewers `a:<digest>` / `c:<random>`, never anything a client presented.
   */
  key: string;
  /** The user id shown with chat (the JWT `sub`), or undefined for anonymous viewers. */
  userId: string | undefined;
  name: string;
  /** Roles from the token that follow the role grammar (`@roar/protocol` `parseRole`). */
  roles: readonly string[];
  anonymous: boolean;
}

/**
 * What the upgrade carried that the app's backend can recognise its session by (the connect
 * hook, `hooks/connect-hook.ts`): kept on the connection until the hook answers.
 */
export interface SessionCredentials {
  cookie?: string | undefined;
  authorization?: string | undefined;
}

/** The badges shown next to a user's chat in `stream`: roles that apply there, unscoped. */
export function badgesFor(identity: Identity, stream: string): string[] | undefined {
  if (identity.roles.length === 0) return undefined;
  let badges: string[] | undefined;
  for (const name of BADGES) {
    if (!grantsRole(identity.roles, name, stream)) continue;
    badges ??= [];
    badges.push(name);
  }
  return badges;
}

const BADGES: readonly RoleName[] = ['admin', 'moderator', 'broadcaster', 'subscriber'];

/**
 * True when the identity holds `role` in `stream` under the one role grammar
 * (`@roar/protocol` `parseRole`): `admin` unscoped, the others for `stream` or `*`.
 */
export function hasRole(identity: Identity, role: string, stream?: string): boolean {
  return grantsRole(identity.roles, role as RoleName, stream);
}
