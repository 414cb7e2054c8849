import { SignJWT } from 'jose';
import { json, jsonError, type HttpHandler } from './http.js';

const ROLE = /^[a-z]+(:[A-Za-z0-9_*-]{1,64})?$/;

/**
 * `POST /dev/token {"name": "...", "roles": [...]}`: mints an HS256 token with the server's own
 * secret. Only mounted when dev login is on (embedded mode without a configured key), so the demo
 * page works out of the box; a production deployment configures a key and never has this route.
 */
export function devLogin(secret: string): HttpHandler {
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
      (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && ROLE.test(r)))
    ) {
      return jsonError(400, 'invalid_field', 'roles must be an array like ["moderator:my-stream"]');
    }
    const sub = `dev-${name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
    const token = await new SignJWT({ name, roles: roles ?? [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('12h')
      .sign(key);
    return json(200, { token, sub });
  };
}
