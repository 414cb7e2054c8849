import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../base/config.js';

/** A mistake of the caller (bad flag, missing secret): printed without a stack, exit status 2. */
export class CliError extends Error {
  override name = 'CliError';
}

/** What a printed configuration shows instead of a secret. */
export const MASK = '****';

/** The password in a URL's user info (`redis://:pass@host`, `nats://user:pass@host`), masked. */
function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, `$1${MASK}@`);
}

/**
 * The configuration as `roar check-config` prints it: every field, secrets masked. The JWT secret
 * and admin API keys show only whether they are set; a broker URL keeps everything but its
 * password, which is what an operator needs to check where it points.
 */
export function printableConfig(config: GatewayConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (config.jwtSecret !== undefined) out.jwtSecret = MASK;
  out.adminApiKeys = config.adminApiKeys.map((k) => `${k.name}:${MASK}`);
  out.natsUrl = config.natsUrl.split(',').map(maskUrlPassword).join(',');
  out.redisUrl = maskUrlPassword(config.redisUrl);
  const { hooks } = config;
  out.hooks = {
    ...hooks,
    ...(hooks.secret !== undefined ? { secret: MASK } : {}),
    connect: hooks.connect && { ...hooks.connect, url: maskUrlPassword(hooks.connect.url) },
    join: hooks.join && { ...hooks.join, url: maskUrlPassword(hooks.join.url) },
    publish: hooks.publish && { ...hooks.publish, url: maskUrlPassword(hooks.publish.url) },
  };
  out.otlpEndpoint = maskUrlPassword(config.otlpEndpoint);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export interface TokenOptions {
  /** The `sub` claim: the user id. */
  user: string;
  /** Display name; the gateway shows the user id when it is missing. */
  name?: string;
  /** Roles, e.g. `moderator:stream-1` (scoped) or `admin`. */
  roles: string[];
  /** Lifetime in seconds. */
  ttlS: number;
}

const ROLE = /^[a-z]+(:[A-Za-z0-9_*-]{1,64})?$/;
const SUB = /^[\x21-\x7e]{1,128}$/;

/**
 * An HS256 token the gateway with this configuration accepts: the claims it reads (`sub`, `name`,
 * `roles`) plus `iss` and `aud` when it checks them. Throws when the configuration has no HS256
 * secret or a claim would be refused.
 */
export async function generateToken(config: GatewayConfig, o: TokenOptions): Promise<string> {
  if (config.jwtSecret === undefined) {
    throw new CliError('ROAR_JWT_SECRET is not set: gen-token signs with the HS256 secret');
  }
  if (!SUB.test(o.user)) throw new CliError('--user must be 1-128 printable ASCII characters');
  const bad = o.roles.find((r) => !ROLE.test(r));
  if (bad !== undefined) {
    throw new CliError(`--roles: "${bad}" is not a role (name or name:stream, e.g. moderator:s1)`);
  }
  if (!Number.isInteger(o.ttlS) || o.ttlS < 1 || o.ttlS > 366 * 24 * 3600) {
    throw new CliError('--ttl must be a whole number of seconds from 1 to 31622400');
  }
  const jwt = new SignJWT({ ...(o.name ? { name: o.name } : {}), roles: o.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.user)
    .setIssuedAt()
    .setExpirationTime(`${o.ttlS}s`);
  if (config.jwtIssuer !== undefined) jwt.setIssuer(config.jwtIssuer);
  if (config.jwtAudience !== undefined) jwt.setAudience(config.jwtAudience);
  return jwt.sign(new TextEncoder().encode(config.jwtSecret));
}

/** A random secret for ROAR_JWT_SECRET or an admin API key: `bytes` random bytes, base64url. */
export function generateSecret(bytes = 48): string {
  if (!Number.isInteger(bytes) || bytes < 32 || bytes > 1024) {
    throw new CliError('--bytes must be a whole number from 32 to 1024');
  }
  return randomBytes(bytes).toString('base64url');
}
