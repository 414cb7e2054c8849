import { ErrorCode, RoarError, grantsRole } from '@roar/protocol';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError, authorizationCredentials, type Authenticator } from '../base/auth.js';
import type { HttpRequest } from '../base/http.js';
import type { Actor } from './actor.js';
import type { ApiKey } from '@roar/runtime';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Who is calling the admin API: a bearer JWT (its roles decide what it may do) or an API key
 * (`X-Api-Key` or `Authorization: ApiKey <key>`; full rights). Keys are compared in constant
 * time, all of them every time, so timing tells nothing about which part matched.
 */
export class AdminAuth {
  readonly #keys: { name: string; hash: Buffer }[];
  readonly #auth: Authenticator;

  constructor(keys: readonly ApiKey[], auth: Authenticator) {
    this.#keys = keys.map((k) => ({ name: k.name, hash: digest(k.key) }));
    this.#auth = auth;
  }

  /** Throws `RoarError` `unauthenticated`, `token_invalid` or `token_expired` (all HTTP 401). */
  async actor(req: HttpRequest): Promise<Actor> {
    const credentials = authorizationCredentials(req.header('authorization'));
    const key =
      req.header('x-api-key') ?? (credentials?.scheme === 'apikey' ? credentials.value : undefined);
    if (key !== undefined) {
      const hash = digest(key);
      let match: string | undefined;
      for (const k of this.#keys) if (timingSafeEqual(k.hash, hash)) match = k.name;
      if (match === undefined) throw new RoarError(ErrorCode.Unauthenticated, 'unknown API key');
      return { id: `key:${match}`, roles: ['admin'], admin: true };
    }
    if (credentials?.scheme === 'bearer') {
      try {
        const identity = await this.#auth.verify(credentials.value);
        return {
          id: identity.userId ?? identity.key,
          roles: identity.roles,
          admin: grantsRole(identity.roles, 'admin'),
        };
      } catch (error) {
        if (error instanceof AuthError) throw error;
        throw new RoarError(ErrorCode.Internal, 'token verification failed', { cause: error });
      }
    }
    if (credentials !== undefined) {
      throw new RoarError(
        ErrorCode.Unauthenticated,
        `the ${credentials.scheme} scheme is not accepted: send Bearer <token> or ApiKey <key>`,
      );
    }
    throw new RoarError(ErrorCode.Unauthenticated, 'send a bearer token or an API key');
  }
}
