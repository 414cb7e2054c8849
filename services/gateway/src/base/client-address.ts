import { BlockList, isIP } from 'node:net';

/**
 * Which address a request comes from, for admission's per-address cap. It is the TCP peer,
 * unless that peer is one of the trusted proxies (`ROAR_TRUSTED_PROXIES`): then the
 * `X-Forwarded-For` entries are read from the right, each trusted proxy skipped, and the first
 * other address is the client's. A header from any other peer is ignored, so a client cannot
 * choose its own address; an entry that is not an address stops the walk at the last hop that
 * could be trusted.
 */
export class ClientAddresses {
  readonly #trusted = new BlockList();
  readonly #any: boolean;

  /** `trusted`: addresses or CIDR ranges, IPv4 or IPv6; throws `RangeError` on a bad one. */
  constructor(trusted: readonly string[]) {
    for (const entry of trusted) addTrusted(this.#trusted, entry);
    this.#any = trusted.length > 0;
  }

  /** The client's address, from the peer's (as uWS prints it) and the forwarding header. */
  resolve(peer: string, forwardedFor: string | undefined): string {
    if (!this.#any || forwardedFor === undefined || !this.#isTrusted(peer)) return peer;
    const hops = forwardedFor.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseHop(hops[i] as string);
      if (hop === undefined) break;
      client = hop;
      if (!this.#isTrusted(hop)) break;
    }
    return client;
  }

  #isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Every entry of `ROAR_TRUSTED_PROXIES` that is not an address or a CIDR range. */
export function invalidProxyEntries(entries: readonly string[]): string[] {
  return entries.filter((entry) => {
    try {
      addTrusted(new BlockList(), entry);
      return false;
    } catch {
      return true;
    }
  });
}

function addTrusted(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) throw new RangeError(`not an IP address or CIDR range: "${entry}"`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) return list.addAddress(address, type);
  const bits = entry.slice(slash + 1);
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
    throw new RangeError(`not an IP address or CIDR range: "${entry}"`);
  }
  list.addSubnet(address, prefix, type);
}

/** One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`. */
function parseHop(raw: string): string | undefined {
  let hop = raw.trim();
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    if (end < 0) return undefined;
    hop = hop.slice(1, end);
  } else if (hop.indexOf(':') > 0 && hop.indexOf(':') === hop.lastIndexOf(':')) {
    hop = hop.slice(0, hop.indexOf(':'));
  }
  return isIP(hop) === 0 ? undefined : hop;
}
