import { STREAM_ID_PATTERN } from './limits.js';

/**
 * Roar's one role grammar, used for tokens, the admin API's rights and the dev page:
 *
 *   role  = "admin" / scoped ":" scope
 *   scoped = "moderator" / "broadcaster" / "subscriber" / "follower"
 *   scope = stream-id / "*"            ; "*" means every stream
 *
 * Anything else (`moderator` without a scope, `admin:*`, `admin:<stream>`, unknown names) is not
 * a role: it grants nothing, earns no badge and is dropped from the identity, so no check can
 * read it differently from another.
 */
export type RoleName = 'admin' | 'moderator' | 'broadcaster' | 'subscriber' | 'follower';

export const SCOPED_ROLES: readonly RoleName[] = [
  'moderator',
  'broadcaster',
  'subscriber',
  'follower',
];

export interface Role {
  name: RoleName;
  /** The stream it applies to, `*` for every stream; undefined only for `admin`. */
  scope: string | undefined;
}

/** The role `value` names, or undefined when it is outside the grammar. */
export function parseRole(value: unknown): Role | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === 'admin') return { name: 'admin', scope: undefined };
  const colon = value.indexOf(':');
  if (colon < 0) return undefined;
  const name = value.slice(0, colon) as RoleName;
  const scope = value.slice(colon + 1);
  if (!SCOPED_ROLES.includes(name)) return undefined;
  if (scope !== '*' && !STREAM_ID_PATTERN.test(scope)) return undefined;
  return { name, scope };
}

/** The roles in a token's `roles` claim that follow the grammar, without duplicates. */
export function parseRoles(claim: unknown): string[] {
  if (!Array.isArray(claim)) return [];
  const roles: string[] = [];
  for (const value of claim.slice(0, 64)) {
    if (parseRole(value) !== undefined && !roles.includes(value as string)) {
      roles.push(value as string);
    }
  }
  return roles;
}

/**
 * True when `roles` grant `name` in `stream`: `admin` is only ever unscoped; a scoped role
 * counts for its own stream or, with `*`, for every one. Without a stream, only `*` counts.
 */
export function grantsRole(roles: readonly string[], name: RoleName, stream?: string): boolean {
  return roles.some((value) => {
    const role = parseRole(value);
    if (role?.name !== name) return false;
    return name === 'admin' || role.scope === '*' || role.scope === stream;
  });
}

/** Admins and the stream's moderators and broadcaster moderate it. */
export function canModerateStream(roles: readonly string[], stream: string): boolean {
  return (
    grantsRole(roles, 'admin') ||
    grantsRole(roles, 'moderator', stream) ||
    grantsRole(roles, 'broadcaster', stream)
  );
}
