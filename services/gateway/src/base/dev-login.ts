import { parseRole } from '@roar/protocol';
import { ConfigError } from '@roar/runtime';
import { SignJWT } from 'jose';
import type { GatewayConfig } from './config.js';
import { json, jsonError, type HttpHandler } from './http.js';

/** Dev tokens live this long at most (less when the server's maximum is shorter). */
const DEV_TOKEN_LIFETIME_S = 12 * 3600;

/**
 * True when the demo page may ask for `roles`: at most one stream-scoped role, for one named
 * stream (`moderator:s`, `broadcaster:s`, `subscriber:s`, `follower:s`), which is what its role
 * picker offers. `admin` and `*` scopes need `ROAR_DEV_LOGIN_ROLES=any`.
 */
function demoRoles(roles: readonly string[]): boolean {
  if (roles.length > 1) return false;
  return roles.every((r) => {
    const role = parseRole(r);
    return role !== undefined && role.name !== 'admin' && role.scope !== '*';
  });
}

/**
 * The secret dev login signs with, or undefined when it is off. A configured `ROAR_JWT_SECRET`
 * always wins. Otherwise only embedded mode may sign, with `generated`: a secret made at each
 * start (never a fixed default), which no other process knows, so its tokens open nothing but
 * this one server. Anywhere else a secret that was not configured is refused.
 */
export function devLoginSecret(
  config: Pick<GatewayConfig, 'devLogin' | 'mode' | 'jwtSecret'>,
  generated: string | undefined,
): string | undefined {
  if (!config.devLogin) return undefined;
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  if (config.mode !== 'embedded') {
    throw new ConfigError('dev login outside embedded mode signs with ROAR_JWT_SECRET only');
  }
  if (generated === undefined || generated.length < 32) {
    throw new ConfigError('dev login in embedded mode needs a generated secret of 32+ characters');
  }
  return generated;
}

/**
 * `POST /dev/token {"name": "...", "roles": [...]}`: mints an HS256 token with the server's own
 * secret. Only mounted when dev login is on (loopback, nothing configured; see config.ts), so
 * the demo page works out of the box. It mints the demo page's roles only, unless `rolesAllowed`
 * is `any`.
 */
export function devLogin(
  secret: string,
  rolesAllowed: 'demo' | 'any',
  maxLifetimeS: number,
): HttpHandler {
  const key = new TextEncoder().encode(secret);
  return async (req) => {
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(req.body ?? new Uint8Array()));
    } catch {
      return jsonError(400, 'invalid_json', 'body must be JSON');
    }
    const { name, roles } = (typeof body === 'object' && body !== null ? body : {}) as {
      name?: unknown;
      roles?: unknown;
    };
    if (typeof name !== 'string' || !/^[\p{L}\p{N}_ .-]{1,32}$/u.test(name)) {
      return jsonError(400, 'invalid_field', 'name must be 1-32 letters, digits, spaces, _ . -');
    }
    if (
      roles !== undefined &&
      (!Array.isArray(roles) ||
        roles.length > 16 ||
        !roles.every((r) => parseRole(r) !== undefined))
    ) {
      return jsonError(
        400,
        'invalid_field',
        'roles must be an array of roles like ["moderator:my-stream"] (see docs/protocol.md)',
      );
    }
    const granted = (roles ?? []) as string[];
    if (rolesAllowed !== 'any' && !demoRoles(granted)) {
      return jsonError(
        403,
        'forbidden',
        'dev login mints at most one role for one stream (moderator, broadcaster, subscriber or follower); ROAR_DEV_LOGIN_ROLES=any allows more',
      );
    }
    const sub = `dev-${name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ name, roles: granted })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.min(DEV_TOKEN_LIFETIME_S, maxLifetimeS))
      .sign(key);
    return json(200, { token, sub });
  };
}
