import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Identity } from './identity.js';

/** How long an address's anonymous identities are remembered for its cap. */
const WINDOW_MS = 60 * 60_000;
/**
 * Identities remembered at most, over all addresses (a few MB); past it, the least recently
 * seen addresses are forgotten first (their slots free up early: a bounded leak in the cap).
 */
const MAX_ENTRIES = 200_000;

export interface AnonymousIdsOptions {
  /** HMAC key; gateways that share it show the same device under the same id. */
  secret: string;
  /** Distinct anonymous identities an address may have counted within the window. */
  perAddress: number;
  /** Identities remembered at most, over all addresses (default `MAX_ENTRIES`). */
  maxEntries?: number;
}

/**
 * The identities of anonymous viewers. The id a client presents (`anon`) is never shown: the
 * shown id is an HMAC of it under a server secret, so the same device keeps its id across
 * reconnects but nobody can claim someone else's by presenting what they see in chat. Without
 * an `anon`, a viewer gets a fresh random id (never its session id, which is a capability).
 * One address counts at most `perAddress` distinct identities per hour; past that, its new
 * ones share one identity derived from the address, so a client minting ids cannot inflate
 * uniques or spread its chat over many rate limits.
 */
export class AnonymousIds {
  /** A KeyObject, so each HMAC skips the key setup (8 µs instead of 11 here). */
  readonly #secret: KeyObject;
  readonly #perAddress: number;
  readonly #maxEntries: number;
  /** Per address, in order of use (the Map's first entry is the least recently seen address). */
  readonly #addresses = new Map<string, Address>();
  #entries = 0;

  constructor(options: AnonymousIdsOptions) {
    this.#secret = createSecretKey(Buffer.from(options.secret));
    this.#perAddress = options.perAddress;
    this.#maxEntries = options.maxEntries ?? MAX_ENTRIES;
  }

  /** The identity of an anonymous viewer from `ip` presenting `anonId` (or none). */
  identify(ip: string, anonId: string | undefined, now: number): Identity {
    const key =
      anonId !== undefined
        ? `a:${this.#digest('anon', anonId)}`
        : `c:${randomBytes(9).toString('base64url')}`;
    return new AnonymousIdentity(this.#admit(addressGroup(ip), key, now));
  }

  /** A placeholder for a connection whose token is being verified: counted nowhere yet. */
  pending(): Identity {
    return new AnonymousIdentity(`c:${randomBytes(9).toString('base64url')}`);
  }

  /** Addresses and identities currently remembered (for tests and metrics). */
  get size(): { addresses: number; entries: number } {
    return { addresses: this.#addresses.size, entries: this.#entries };
  }

  /**
   * Counts `key` for the address: O(1) apart from the identities it lets go, whatever the cap.
   * A connection storm from one address pays for neither a scan of its identities nor an HMAC
   * per connection past the cap.
   */
  #admit(ip: string, key: string, now: number): string {
    let address = this.#addresses.get(ip);
    if (address) this.#addresses.delete(ip);
    else address = { keys: new Map(), shared: undefined };
    this.#addresses.set(ip, address);
    const { keys } = address;
    // Keys are kept in the order they were last seen: the expired ones are at the front.
    for (const [k, at] of keys) {
      if (now - at <= WINDOW_MS) break;
      keys.delete(k);
      this.#entries--;
    }
    let admitted = true;
    if (keys.delete(key)) keys.set(key, now);
    else if (keys.size < this.#perAddress) {
      keys.set(key, now);
      this.#entries++;
    } else admitted = false;
    this.#evict(ip);
    if (admitted) return key;
    return (address.shared ??= `a:${this.#digest('addr', ip)}`);
  }

  /** Forgets the least recently seen addresses (never `current`) while over the bound. */
  #evict(current: string): void {
    for (const [ip, { keys }] of this.#addresses) {
      const over = this.#entries > this.#maxEntries || this.#addresses.size > this.#maxEntries;
      if (!over || ip === current) return;
      this.#addresses.delete(ip);
      this.#entries -= keys.size;
    }
  }

  #digest(kind: string, value: string): string {
    return createHmac('sha256', this.#secret)
      .update(`${kind}\0${value}`)
      .digest('base64url')
      .slice(0, 16);
  }
}

/** One address's identities within the window, and the one its identities past the cap share. */
interface Address {
  /** Each key with when it was last seen, in that order (a key seen again moves to the end). */
  keys: Map<string, number>;
  /** `a:` + HMAC of the address, computed once. */
  shared: string | undefined;
}

/**
 * What the per-address cap counts as one address: an IPv4 address, or an IPv6 /64 (the block
 * one subscriber line gets; counting each of its 2^64 addresses would make the cap moot).
 */
export function addressGroup(ip: string): string {
  if (!ip.includes(':')) return ip;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4?.[1]) return v4[1];
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [
    ...left,
    ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const NO_ROLES: readonly string[] = Object.freeze([]);

/**
 * An anonymous viewer: everything but the key lives on the prototype, because anonymous
 * viewers are most of a crowd and each byte is paid per connection.
 */
export class AnonymousIdentity implements Identity {
  readonly key: string;

  constructor(key: string) {
    this.key = key;
  }

  get userId(): undefined {
    return undefined;
  }

  get name(): string {
    return `viewer-${this.key.slice(-4)}`;
  }

  get roles(): readonly string[] {
    return NO_ROLES;
  }

  get anonymous(): boolean {
    return true;
  }
}

/**
 * The secret anonymous ids are derived with: `ROAR_ANON_ID_SECRET`, else one derived from the
 * JWT secret (shared by a cluster already), else random for this process (ids then differ
 * between gateways and restarts; `shared` says which).
 */
export function anonIdSecret(config: {
  anonIdSecret: string | undefined;
  jwtSecret: string | undefined;
}): { secret: string; shared: boolean } {
  if (config.anonIdSecret) return { secret: config.anonIdSecret, shared: true };
  if (config.jwtSecret) {
    const secret = createHmac('sha256', config.jwtSecret)
      .update('roar anonymous ids')
      .digest('base64url');
    return { secret, shared: true };
  }
  return { secret: randomBytes(32).toString('base64url'), shared: false };
}
