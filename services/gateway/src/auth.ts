import { createPublicKey, type KeyObject } from 'node:crypto';
import { ErrorCode, RoarError } from '@roar/protocol';
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
}

export class AuthError extends RoarError {}

const MAX_TOKEN_CHARS = 8192;

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
        clockTolerance: 5,
        requiredClaims: ['sub'],
      }));
    } catch (cause) {
      if (cause instanceof joseErrors.JWTExpired) {
        throw new AuthError(ErrorCode.TokenExpired, 'token expired', { cause });
      }
      if (cause instanceof AuthError) throw cause;
      throw new AuthError(ErrorCode.TokenInvalid, `token rejected: ${reason(cause)}`, { cause });
    }
    return identityFromClaims(payload);
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
  if (error instanceof joseErrors.JOSEError) return error.code;
  return error instanceof Error ? error.message : 'unknown error';
}

const SUB = /^[\x21-\x7e]{1,128}$/;

function identityFromClaims(payload: JWTPayload): Identity {
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
  const rawRoles = payload.roles;
  const roles = Array.isArray(rawRoles)
    ? rawRoles.filter(
        (r): r is string => typeof r === 'string' && /^[a-z]+(:[A-Za-z0-9_*-]{1,64})?$/.test(r),
      )
    : [];
  return { key: `u:${sub}`, userId: sub, name, roles, anonymous: false };
}
