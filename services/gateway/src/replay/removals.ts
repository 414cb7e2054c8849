import type { EventLog, LogEvent, LogEventOf } from '@roar/log';

/**
 * Everything that takes chat out of a stream's replays, whenever it happened: deleted message ids,
 * clears (every message before), and bans and timeouts (the user's messages before). Each entry
 * keeps the `seq` of the event that made it, which versions the buckets it touches.
 */
export class Removals {
  readonly ids = new Map<string, number>();
  readonly clears: { ts: number; seq: number }[] = [];
  readonly users = new Map<string, { ts: number; seq: number }[]>();

  add(e: LogEvent): void {
    if (e.type === 'chat.deleted') this.ids.set(e.data.id, e.seq);
    else if (e.type === 'chat.cleared') this.clears.push({ ts: e.ts, seq: e.seq });
    else if (e.type === 'moderation.action') {
      const { action, target } = e.data;
      if ((action === 'ban' || action === 'timeout') && target !== undefined) {
        let list = this.users.get(target);
        if (!list) this.users.set(target, (list = []));
        list.push({ ts: e.ts, seq: e.seq });
      }
    }
  }

  /**
   * The `seq` of the latest removal that hides this message, or 0 when it replays. A removal
   * only hides what came before it (a clear does not hide later chat).
   */
  hiddenBy(e: LogEventOf<'chat.published'>): number {
    let by = this.ids.get(e.data.id) ?? 0;
    for (const c of this.clears) if (c.ts >= e.ts && c.seq > by) by = c.seq;
    const user = this.users.get(e.data.user.id);
    if (user) for (const u of user) if (u.ts >= e.ts && u.seq > by) by = u.seq;
    return by;
  }
}

interface Entry {
  removals: Removals;
  /** The next position to read from, per type read. */
  next: Record<RemovalType, number>;
  builtAt: number;
  checkedAt: number;
  refreshing: Promise<Removals> | undefined;
}

type RemovalType = 'chat.deleted' | 'chat.cleared' | 'moderation.action';
const TYPES: RemovalType[] = ['chat.deleted', 'chat.cleared', 'moderation.action'];

export interface RemovalIndexOptions {
  log: EventLog;
  now: () => number;
  /** New removals are looked for at most this often per stream. Default 2 s. */
  refreshMs?: number;
  /** The index is rebuilt from the whole log this often (a log restarted empty renumbers). */
  rebuildMs?: number;
  /** Streams indexed at most (least recently built ones go first). */
  maxStreams?: number;
}

/**
 * Per stream, the removals in the whole log, read incrementally (only what is new since the last
 * read) at most once per `refreshMs` per stream however many requests ask: concurrent callers
 * share one refresh. A deletion therefore reaches replays from this gateway within `refreshMs`
 * (plus the log's append delay); a failed refresh rejects, so replay fails closed rather than
 * serving deleted messages.
 */
export class RemovalIndex {
  readonly #o: Required<RemovalIndexOptions>;
  readonly #streams = new Map<string, Entry>();

  constructor(options: RemovalIndexOptions) {
    this.#o = { refreshMs: 2000, rebuildMs: 60_000, maxStreams: 1000, ...options };
  }

  get(stream: string): Promise<Removals> {
    const now = this.#o.now();
    let entry = this.#streams.get(stream);
    if (entry && now - entry.builtAt > this.#o.rebuildMs && !entry.refreshing) entry = undefined;
    if (!entry) {
      if (this.#streams.size >= this.#o.maxStreams) {
        const oldest = this.#streams.keys().next().value;
        if (oldest !== undefined) this.#streams.delete(oldest);
      }
      entry = {
        removals: new Removals(),
        next: { 'chat.deleted': 0, 'chat.cleared': 0, 'moderation.action': 0 },
        builtAt: now,
        checkedAt: Number.NEGATIVE_INFINITY,
        refreshing: undefined,
      };
      this.#streams.set(stream, entry);
    }
    if (entry.refreshing) return entry.refreshing;
    if (now - entry.checkedAt < this.#o.refreshMs) return Promise.resolve(entry.removals);
    const e = entry;
    e.refreshing = this.#refresh(stream, e).finally(() => (e.refreshing = undefined));
    return e.refreshing;
  }

  async #refresh(stream: string, e: Entry): Promise<Removals> {
    const started = this.#o.now();
    const reads = await Promise.all(
      TYPES.map((type) =>
        this.#o.log.read({
          stream,
          type,
          ...(e.next[type] > 0 ? { fromSeq: e.next[type] } : {}),
        }),
      ),
    );
    TYPES.forEach((type, i) => {
      for (const event of reads[i]!) {
        e.removals.add(event);
        e.next[type] = event.seq + 1;
      }
    });
    e.checkedAt = started;
    return e.removals;
  }
}
