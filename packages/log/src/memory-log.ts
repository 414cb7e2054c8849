import { LOG_SCHEMA_VERSION, type LogAppend, type LogEvent, type LogEventType } from './events.js';
import {
  DEFAULT_RETENTION,
  emptyStats,
  readLimit,
  type EventLog,
  type LogQuery,
  type LogRetention,
  type LogStats,
} from './log.js';

export interface MemoryLogOptions {
  retention?: Partial<LogRetention>;
  /** Ids remembered for idempotent appends, this long (ms). */
  duplicateWindowMs?: number;
  now?: () => number;
}

interface Stored {
  event: LogEvent;
  bytes: number;
}

/** Events arrive in `ts` order give or take this (an appender's stall, clock steps). */
const TS_SLACK_MS = 5000;

/**
 * The embedded mode's log: every event in process memory, bounded by the same retention as the
 * JetStream log (age, and an estimate of bytes). Appends are stored at once (nothing to batch);
 * lost with the process.
 */
export class MemoryLog implements EventLog {
  readonly #retention: LogRetention;
  readonly #duplicateWindowMs: number;
  readonly #now: () => number;
  /** Every stored event in `seq` order; `#head` skips the ones retention dropped. */
  #all: Stored[] = [];
  #head = 0;
  readonly #byStream = new Map<string, { items: Stored[]; head: number }>();
  /** Ids seen within the duplicate window; `#seenOrder` has them, and when, in append order. */
  readonly #seen = new Set<string>();
  #seenOrder: { id: string; at: number }[] = [];
  #seenHead = 0;
  #seq = 0;
  #bytes = 0;
  #closed = false;
  readonly #stats: LogStats = emptyStats();

  constructor(options: MemoryLogOptions = {}) {
    this.#retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.#duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  get connected(): boolean {
    return !this.#closed;
  }

  append(stream: string, input: LogAppend): void {
    this.#stats.appended++;
    if (this.#closed) {
      this.#stats.dropped.closed++;
      return;
    }
    const now = this.#now();
    this.#forgetIds(now);
    if (this.#seen.has(input.id)) return;
    this.#seen.add(input.id);
    this.#seenOrder.push({ id: input.id, at: now });
    // The fields of `{v, ...input, stream, seq}`, in that order, without the spread's cost.
    const event = {
      v: LOG_SCHEMA_VERSION,
      type: input.type,
      id: input.id,
      ts: input.ts,
      data: input.data,
      stream,
      seq: ++this.#seq,
    } as LogEvent;
    const stored = { event, bytes: estimateBytes(event) };
    this.#all.push(stored);
    let s = this.#byStream.get(stream);
    if (!s) this.#byStream.set(stream, (s = { items: [], head: 0 }));
    s.items.push(stored);
    this.#bytes += stored.bytes;
    this.#stats.stored++;
    this.#trim(now);
  }

  async read(query: LogQuery): Promise<LogEvent[]> {
    this.#stats.reads++;
    this.#trim(this.#now());
    const limit = readLimit(query.limit);
    let items: Stored[];
    let start: number;
    if (query.stream !== undefined) {
      const s = this.#byStream.get(query.stream);
      if (!s) return [];
      items = s.items;
      start = s.head;
    } else {
      items = this.#all;
      start = this.#head;
    }
    if (query.fromSeq !== undefined)
      start = firstIndex(items, start, (e) => e.seq >= query.fromSeq!);
    if (query.fromTs !== undefined) {
      const from = query.fromTs - TS_SLACK_MS;
      start = firstIndex(items, start, (e) => e.ts >= from);
    }
    const out: LogEvent[] = [];
    const stopTs = query.toTs === undefined ? Infinity : query.toTs + TS_SLACK_MS;
    for (let i = start; i < items.length && out.length < limit; i++) {
      const e = items[i]!.event;
      if (e.ts >= stopTs) break;
      if (matches(e, query)) out.push(e);
    }
    return out;
  }

  async flush(): Promise<void> {}

  stats(): LogStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Forgets the ids older than the duplicate window: a look at the oldest, on most appends. */
  #forgetIds(now: number): void {
    const order = this.#seenOrder;
    while (this.#seenHead < order.length) {
      const oldest = order[this.#seenHead]!;
      if (now - oldest.at < this.#duplicateWindowMs) break;
      this.#seen.delete(oldest.id);
      this.#seenHead++;
    }
    if (this.#seenHead > 1024 && this.#seenHead * 2 > order.length) {
      this.#seenOrder = order.slice(this.#seenHead);
      this.#seenHead = 0;
    }
  }

  #trim(now: number): void {
    const oldest = now - this.#retention.maxAgeMs;
    while (this.#head < this.#all.length) {
      const first = this.#all[this.#head]!;
      if (first.event.ts >= oldest && this.#bytes <= this.#retention.maxBytes) break;
      this.#head++;
      this.#bytes -= first.bytes;
      const s = this.#byStream.get(first.event.stream)!;
      s.head++;
      if (s.head === s.items.length) this.#byStream.delete(first.event.stream);
      else if (s.head > 1024 && s.head * 2 > s.items.length) {
        s.items = s.items.slice(s.head);
        s.head = 0;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#all.length) {
      this.#all = this.#all.slice(this.#head);
      this.#head = 0;
    }
  }
}

function matches(e: LogEvent, q: LogQuery): boolean {
  if (q.type !== undefined && e.type !== q.type) return false;
  if (q.fromSeq !== undefined && e.seq < q.fromSeq) return false;
  if (q.fromTs !== undefined && e.ts < q.fromTs) return false;
  if (q.toTs !== undefined && e.ts >= q.toTs) return false;
  return true;
}

/** The first index at or after `start` whose event passes `ok` (events sorted by it). */
function firstIndex(items: Stored[], start: number, ok: (e: LogEvent) => boolean): number {
  let lo = start;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ok(items[mid]!.event)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const TYPE_BYTES: Record<LogEventType, number> = {
  'chat.published': 160,
  'chat.deleted': 140,
  'chat.cleared': 120,
  'moderation.action': 200,
  'viewers.sample': 140,
  'reactions.burst': 200,
};

/** The stored size, estimated without encoding (appends stay cheap): envelope plus text. */
function estimateBytes(e: LogEvent): number {
  return TYPE_BYTES[e.type] + (e.type === 'chat.published' ? e.data.text.length * 2 : 0);
}
