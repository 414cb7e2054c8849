import { createPublicKey, type KeyObject } from 'node:crypto';
import { ErrorCode, RoarError, parseRoles } from '@roar/protocol';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
} from 'jose';
import type { Identity } from './identity.js';

export interface AuthConfig {
  jwtSecret: string | undefined;
  jwtPublicKey: string | undefined;
  jwtJwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** Longest lifetime a token may have: `exp` at most this far past `iat` and past now. */
  jwtMaxLifetimeS: number;
}

export class AuthError extends RoarError {}

/**
 * Longest token accepted. The HTTP header limit (`UWS_HTTP_MAX_HEADERS_SIZE`, set in
 * `uws-limits.ts`) leaves room for it plus the usual browser headers, so a long token gets
 * `token_invalid` rather than an HTTP 431.
 */
export const MAX_TOKEN_CHARS = 8192;

/** Seconds of clock skew allowed between the token issuer and this server. */
const CLOCK_TOLERANCE_S = 5;

/** A parsed `Authorization` header: the scheme in lower case (RFC 9110: case-insensitive). */
export interface Credentials {
  scheme: string;
  value: string;
}

/** `Authorization: <scheme> <value>`, or undefined when the header is absent or empty. */
export function authorizationCredentials(header: string | undefined): Credentials | undefined {
  const trimmed = header?.trim();
  if (!trimmed) return undefined;
  const space = trimmed.search(/\s/);
  if (space < 0) return { scheme: trimmed.toLowerCase(), value: '' };
  return { scheme: trimmed.slice(0, space).toLowerCase(), value: trimmed.slice(space + 1).trim() };
}

/**
 * Verifies bearer tokens once per connection. HS256 uses the shared secret; RS256/ES256 use the
 * configured public key or the JWKS (keys cached and refreshed by jose). Unsigned tokens
 * (`alg: none`) and any algorithm without a configured key are refused.
 */
export class Authenticator {
  readonly #secret: Uint8Array | undefined;
  readonly #publicKey: KeyObject | undefined;
  readonly #publicAlg: string | undefined;
  readonly #jwks: JWTVerifyGetKey | undefined;
  readonly #issuer: string | undefined;
  readonly #audience: string | undefined;
  readonly #maxLifetimeS: number;
  readonly algorithms: string[] = [];

  constructor(config: AuthConfig) {
    if (config.jwtSecret) {
      this.#secret = new TextEncoder().encode(config.jwtSecret);
      this.algorithms.push('HS256');
    }
    if (config.jwtPublicKey) {
      this.#publicKey = createPublicKey(config.jwtPublicKey.replace(/\\n/g, '\n'));
      this.#publicAlg = this.#publicKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
      this.algorithms.push(this.#publicAlg);
    }
    if (config.jwtJwksUrl) {
      this.#jwks = createRemoteJWKSet(new URL(config.jwtJwksUrl), { cacheMaxAge: 10 * 60_000 });
      for (const alg of ['RS256', 'ES256'])
        if (!this.algorithms.includes(alg)) this.algorithms.push(alg);
    }
    this.#issuer = config.jwtIssuer;
    this.#audience = config.jwtAudience;
    this.#maxLifetimeS = config.jwtMaxLifetimeS;
  }

  get enabled(): boolean {
    return this.algorithms.length > 0;
  }

  /** Verifies `token` and returns the identity it carries; throws `AuthError` otherwise. */
  async verify(token: string): Promise<Identity> {
    if (!this.enabled) throw new AuthError(ErrorCode.TokenInvalid, 'this server accepts no tokens');
    if (token.length > MAX_TOKEN_CHARS)
      throw new AuthError(ErrorCode.TokenInvalid, 'token is too long');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => this.#keyFor(header, input), {
        algorithms: this.algorithms,
        issuer: this.#issuer,
        audience: this.#audience,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (cause) {
      if (cause instanceof joseErrors.JWTExpired) {
        throw new AuthError(ErrorCode.TokenExpired, 'token expired', { cause });
      }
      if (cause instanceof AuthError) throw cause;
      throw new AuthError(ErrorCode.TokenInvalid, `token rejected: ${reason(cause)}`, { cause });
    }
    this.#checkTimes(payload);
    return identityFromClaims(payload);
  }

  /** `exp` is required (jose checked it is in the future); no token lives past the maximum. */
  #checkTimes(payload: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const { exp, iat } = payload as { exp: number; iat?: number };
    if (iat !== undefined && iat > now + CLOCK_TOLERANCE_S) {
      throw new AuthError(ErrorCode.TokenInvalid, 'token rejected: iat is in the future');
    }
    const from = iat ?? now;
    if (
      exp - from > this.#maxLifetimeS + CLOCK_TOLERANCE_S ||
      exp - now > this.#maxLifetimeS + CLOCK_TOLERANCE_S
    ) {
      throw new AuthError(
        ErrorCode.TokenInvalid,
        `token rejected: it lives longer than the ${this.#maxLifetimeS} s this server accepts`,
      );
    }
  }

  #keyFor(header: JWTHeaderParameters, input: FlattenedJWSInput): ReturnType<JWTVerifyGetKey> {
    if (header.alg === 'HS256' && this.#secret) return this.#secret;
    if (header.alg === this.#publicAlg && this.#publicKey && (!this.#jwks || !header.kid)) {
      return this.#publicKey;
    }
    if (this.#jwks && (header.alg === 'RS256' || header.alg === 'ES256'))
      return this.#jwks(header, input);
    throw new AuthError(
      ErrorCode.TokenInvalid,
      `token algorithm ${String(header.alg)} is not accepted`,
    );
  }
}

function reason(error: unknown): string {
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `${error.claim} ${error.reason}`;
  if (error instanceof joseErrors.JOSEError) return error.code;
  return error instanceof Error ? error.message : 'unknown error';
}

const SUB = /^[\x21-\x7e]{1,128}$/;

/**
 * The identity a token's claims (or a connect hook's answer, in the same shape) name; throws
 * `AuthError` when `sub` is not 1-128 printable ASCII characters.
 */
export function identityFromClaims(payload: JWTPayload): Identity {
  const sub = payload.sub;
  if (typeof sub !== 'string' || !SUB.test(sub)) {
    throw new AuthError(
      ErrorCode.TokenInvalid,
      'token sub must be 1-128 printable ASCII characters',
    );
  }
  const rawName = payload.name;
  const name =
    typeof rawName === 'string' &&
    rawName.trim().length > 0 &&
    rawName.isWellFormed() &&
    !/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(rawName)
      ? rawName.trim().slice(0, 64)
      : sub;
  // Only roles of the one grammar survive, so every later check reads them the same way.
  const roles = parseRoles(payload.roles);
  return { key: `u:${sub}`, userId: sub, name, roles, anonymous: false };
}
