import { isStreamId } from '@roar/protocol';
import { GLOBAL_SCOPE, type Scope } from './moderation.js';

/**
 * Every Redis key Roar uses, built from one prefix so tests and tenants never collide:
 *
 * - `<prefix>:s:{<stream>}:history`  list of recent chat, each element `id NUL msgpack-bytes`
 * - `<prefix>:s:{<stream>}:uniques:<n>`  HyperLogLog shard n of the viewer identities
 * - `<prefix>:s:{<stream>}:stats`    hash: `peak` (decimal), `totals` (JSON `ViewerCount`) and
 *   `rates` (JSON `StreamRates`)
 * - `<prefix>:lease:{<name>}`        string holding the lease owner, with a PX expiry
 * - `<prefix>:lease-epoch:{<name>}`  the lease's fencing epoch (decimal), kept without expiry
 *
 * Moderation (see redis-bans.ts, redis-audit.ts, redis-held.ts and redis-moderation.ts for why
 * each has the shape it has):
 *
 * - `<prefix>:s:{<stream>}:bans`     hash userId → JSON `Ban`; `<prefix>:global:bans` for `'*'`
 * - `<prefix>:s:{<stream>}:settings` string, JSON `Partial<StreamSettings>`
 * - `<prefix>:s:{<stream>}:pin`      string `id NUL msgpack-bytes`, as a history element
 * - `<prefix>:s:{<stream>}:audit`    Redis Stream, field `e` = JSON entry; `<prefix>:global:audit`
 * - `<prefix>:s:{<stream>}:held`     hash message id → `JSON NUL msgpack-bytes`
 * - `<prefix>:s:{<stream>}:held-order`  list of the held ids, oldest first
 * - `<prefix>:claim:<key>`           string `1` with a PX expiry
 * - `<prefix>:global:schedules`      hash stream → JSON `ScheduledEvent` (redis-schedule.ts says
 *   why one key), kept until the event is cancelled
 * - `<prefix>:s:{<stream>}:state`    hash, the stream's live state (live widgets; see
 *   redis-live-state.ts): `v`, `f`, `n`, `t`, `k:<key>` entries and `i:<id>` idempotency results
 * - `<prefix>:s:{<stream>}:state-idem`  list of the remembered idempotency keys, newest first
 * - `<prefix>:generation`            string, a random id written once when absent: it vanishing
 *   or changing tells gateways that Redis lost its data (see `ModerationStore.generation`)
 *
 * Q&A (issue 14; see redis-qa.ts), all expiring together `streamStateTtlSeconds` after the last
 * question or open/close:
 *
 * - `<prefix>:s:{<stream>}:qa`            hash: `open` (0/1), `rev`, `ts`, `seq`, `picked`,
 *   `board-rev` (the rev and size the cached board was built for)
 * - `<prefix>:s:{<stream>}:qa-questions`  hash id → JSON `{user, text, ts}`
 * - `<prefix>:s:{<stream>}:qa-meta`       hash id → state character and the author's key
 * - `<prefix>:s:{<stream>}:qa-upvotes`    hash id → upvotes
 * - `<prefix>:s:{<stream>}:qa-rank`       sorted set of the visible, unanswered ids by upvotes
 * - `<prefix>:s:{<stream>}:qa-votes`      set of `id LF voter`: one upvote per voter per question
 * - `<prefix>:s:{<stream>}:qa-last-ask`   hash author → when they last asked (ms)
 * - `<prefix>:s:{<stream>}:qa-board`      string, the last board built (JSON), read while its rev holds
 * - `<prefix>:s:{<stream>}:qa-held`, `:qa-hidden`  sorted sets of the held and hidden ids (all
 *   score 0, so in id order: asking order), what moderators review
 * - `<prefix>:s:{<stream>}:qa-by-author`  hash author → their last 20 question ids
 *
 * History, uniques, held, held-order, state and state-idem expire `streamStateTtlSeconds` (default 7 days) after
 * their last write; stats `totalsTtlSeconds` after theirs; leases and claims by their PX. Bans
 * (a timeout ends by itself), settings, pin and audit are moderators' decisions and stay.
 *
 * Polls (see redis-polls.ts):
 *
 * - `<prefix>:s:{<stream>}:poll`            string, the id of the stream's current poll
 * - `<prefix>:s:{<stream>}:poll:<id>`       hash, the poll, its counts and close
 * - `<prefix>:s:{<stream>}:poll:<id>:voters`  hash identity → option
 *
 * They expire `streamStateTtlSeconds` after their last write.
 *
 * The braces are a Redis Cluster hash tag: only `<stream>` is hashed, so all of one stream's keys
 * share a slot and a script or MULTI may touch several of them. Stream ids cannot contain braces
 * (see `isStreamId`), which keeps the tag intact. A lease and its epoch share a tag (their name),
 * so leases spread out by name; claims carry no tag. The global scope's keys carry none either: no script touches one of them together with
 * another key, and `global` outside braces cannot meet a stream's `{global}`.
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

  /** Bans of one stream, or the service-wide ones for `GLOBAL_SCOPE`. */
  bans(scope: Scope): string {
    return this.#scoped(scope, 'bans');
  }

  settings(stream: string): string {
    return this.#stream(stream, 'settings');
  }

  pin(stream: string): string {
    return this.#stream(stream, 'pin');
  }

  /** The audit log of one stream, or the service-wide one for `GLOBAL_SCOPE`. */
  audit(scope: Scope): string {
    return this.#scoped(scope, 'audit');
  }

  /** The held messages of a stream; `heldOrder` holds their order and shares the hash tag. */
  held(stream: string): string {
    return this.#stream(stream, 'held');
  }

  heldOrder(stream: string): string {
    return this.#stream(stream, 'held-order');
  }

  /** A stream's live state (live widgets); `liveStateIdempotency` shares its hash tag. */
  liveState(stream: string): string {
    return this.#stream(stream, 'state');
  }

  liveStateIdempotency(stream: string): string {
    return this.#stream(stream, 'state-idem');
  }

  /** The Q&A session hash of a stream (see the list above); its parts share the hash tag. */
  qa(stream: string): string {
    return this.#stream(stream, 'qa');
  }

  qaPart(stream: string, part: QaKeyPart): string {
    return this.#stream(stream, `qa-${part}`);
  }

  /** An idempotency claim; `key` is 1–200 of `A–Z a–z 0–9 _ . : -`. */
  claim(key: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(key)) throw new Error(`invalid request key "${key}"`);
    return `${this.prefix}:claim:${key}`;
  }

  /** Every scheduled event, one hash field per stream. */
  schedules(): string {
    return `${this.prefix}:global:schedules`;
  }

  /** The generation marker; never expires. */
  generation(): string {
    return `${this.prefix}:generation`;
  }

  lease(name: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(name)) throw new Error(`invalid lease name "${name}"`);
    return `${this.prefix}:lease:{${name}}`;
  }

  /** The fencing epoch of lease `name`; it shares the lease's slot, as one script sets both. */
  leaseEpoch(name: string): string {
    this.lease(name);
    return `${this.prefix}:lease-epoch:{${name}}`;
  }

  // Polls
  /** The id of the stream's current poll. */
  currentPoll(stream: string): string {
    return this.#stream(stream, 'poll');
  }

  /** One poll's hash; `id` is a poll id (1–32 of `A–Z a–z 0–9 _ -`). */
  poll(stream: string, id: string): string {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`invalid poll id "${id}"`);
    return `${this.#stream(stream, 'poll')}:${id}`;
  }

  /** Who voted what in one poll; shares the poll's slot. */
  pollVoters(stream: string, id: string): string {
    return `${this.poll(stream, id)}:voters`;
  }

  /** A SCAN MATCH pattern for every key under this prefix, for tests and operators. */
  pattern(): string {
    return `${this.prefix}:*`;
  }

  #scoped(scope: Scope, kind: 'bans' | 'audit'): string {
    return scope === GLOBAL_SCOPE ? `${this.prefix}:global:${kind}` : this.#stream(scope, kind);
  }

  #stream(stream: string, kind: StreamKeyKind): string {
    if (!isStreamId(stream)) throw new Error(`invalid stream id "${stream}"`);
    return `${this.prefix}:s:{${stream}}:${kind}`;
  }
}

type StreamKeyKind =
  | 'history'
  | 'uniques'
  | 'stats'
  | 'bans'
  | 'settings'
  | 'pin'
  | 'audit'
  | 'held'
  | 'held-order'
  | 'state'
  | 'state-idem'
  | 'qa'
  | `qa-${QaKeyPart}`
  // Polls
  | 'poll';

/** The parts of a stream's Q&A besides its session hash. */
export type QaKeyPart =
  | 'questions'
  | 'meta'
  | 'upvotes'
  | 'rank'
  | 'votes'
  | 'last-ask'
  | 'board'
  | 'held'
  | 'hidden'
  | 'by-author';
