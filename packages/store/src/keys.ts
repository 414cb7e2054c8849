import { isStreamId } from '@roar/protocol';

/**
 * Every Redis key Roar uses, built from one prefix so tests and tenants never collide:
 *
 * - `<prefix>:s:{<stream>}:history`  list of recent chat, each element `id NUL msgpack-bytes`
 * - `<prefix>:s:{<stream>}:uniques:<n>`  HyperLogLog shard n of the viewer identities
 * - `<prefix>:s:{<stream>}:stats`    hash: `peak` (decimal) and `totals` (JSON `ViewerCount`)
 * - `<prefix>:lease:<name>`          string holding the lease owner, with a PX expiry
 *
 * The braces are a Redis Cluster hash tag: only `<stream>` is hashed, so all of one stream's keys
 * share a slot and a script or MULTI may touch several of them. Stream ids cannot contain braces
 * (see `isStreamId`), which keeps the tag intact. Leases carry no tag, so partitions spread out.
 */
export class Keys {
  readonly prefix: string;

  constructor(prefix = 'roar') {
    // No braces (they would move the hash tag) and no glob characters (they would break SCAN MATCH).
    if (!/^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw new Error(`invalid Redis key prefix "${prefix}"`);
    }
    this.prefix = prefix;
  }

  history(stream: string): string {
    return this.#stream(stream, 'history');
  }

  uniques(stream: string, shard: number): string {
    return `${this.#stream(stream, 'uniques')}:${shard}`;
  }

  stats(stream: string): string {
    return this.#stream(stream, 'stats');
  }

  lease(name: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(name)) throw new Error(`invalid lease name "${name}"`);
    return `${this.prefix}:lease:${name}`;
  }

  /** A SCAN MATCH pattern for every key under this prefix, for tests and operators. */
  pattern(): string {
    return `${this.prefix}:*`;
  }

  #stream(stream: string, kind: 'history' | 'uniques' | 'stats'): string {
    if (!isStreamId(stream)) throw new Error(`invalid stream id "${stream}"`);
    return `${this.prefix}:s:{${stream}}:${kind}`;
  }
}
