/**
 * Per-stream state that changes at most a few times per publish interval. The per-report hot
 * path never touches it: it works on the typed arrays of `StreamTable` by slot.
 */
export class StreamRecord {
  /** False once forgotten or once its partition is disowned: late store results are ignored. */
  alive = true;
  /** Changed since last published: waits in `due`, or in `cooling` until its interval ends. */
  pending = false;
  /** Published less than a publish interval ago: in the partition's `cooling` queue. */
  cooling = false;
  /** -1 until first published, so the first publish always goes out. */
  publishedTotal = -1;
  publishedUniques = -1;
  publishedPeak = -1;
  /** Publish at the next chance even if nothing changed (a refresh; see `TotalsPublisher`). */
  force = false;
  lastPublishAt = Number.NEGATIVE_INFINITY;
  /** When its figures were last appended to the event log (`AggregatorLog.sample`). */
  sampledAt = Number.NEGATIVE_INFINITY;
  /** When `pending` last turned true: the start of the publish lag. */
  changedAt = 0;
  uniques = 0;
  /** Identities waiting for the next `uniques.add` batch. */
  ids: string[] = [];
  countWanted = false;
  lastCountAt = Number.NEGATIVE_INFINITY;
  /** Highest total held through a clean window (see peak-window.ts), never a raw total. */
  peak = 0;
  /** The current peak window: when it opened and the lowest total seen in it. */
  holdFrom: number;
  holdMin = Number.POSITIVE_INFINITY;
  /** The stored peak and unique count have been read (or failed to be). */
  loaded = false;
  persistedPeak = 0;
  lastPeakSaveAt = Number.NEGATIVE_INFINITY;
  /** Store work queued or in flight for this stream; it is not forgotten while any is. */
  storeRefs = 0;
  /** When the stream was last seen forgettable without interruption; NaN when it is not. */
  idleSince = Number.NaN;
  /** Reactions flushed from reaction windows since the last rates pass. */
  reactionsSince = 0;
  /** Smoothed rates per second as of the last rates pass (see `RateMeter`), unrounded. */
  chatRate = 0;
  reactionRate = 0;
  /** The rates last handed to the store (rounded), -1 before the first; and when. */
  savedChatPerS = -1;
  savedReactionsPerS = -1;
  lastRatesSaveAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    readonly slot: number,
    readonly createdAt: number,
  ) {
    this.holdFrom = createdAt;
  }
}

const INITIAL_CAPACITY = 64;

/**
 * A standalone copy of a decoded string, losslessly. The msgpack decoder hands out slices of one
 * string holding many consecutive strings, and a slice keeps all of it alive; a stream name is
 * held for the stream's lifetime (measured: 3x the memory per name without this).
 */
function ownedCopy(s: string): string {
  const holder: Record<string, 0> = { [s]: 0 };
  for (const key in holder) return key;
  return s;
}

/**
 * The streams of one partition, each with a small integer slot. Sums live in typed arrays indexed
 * by slot so that applying a report is a loop of array reads and adds, with no allocation.
 */
export class StreamTable {
  /** Sum of the live gateways' counts, by slot. */
  totals: Float64Array;
  /** How many live gateways' current stream lists hold the slot. */
  refs: Int32Array;
  /** 1 while the slot is in `dirtyQueue`. */
  dirty: Uint8Array;
  /** Scratch for list installs (position + 1 of a slot in the list being replaced); kept zero. */
  where: Int32Array;
  /** Chat messages reported since the last rates pass, by slot. */
  chat: Float64Array;
  /** 1 while the slot is in `rated`. */
  inRated: Uint8Array;
  /** Stream name by slot ('' when free): the list-install loop compares against it. */
  readonly names: string[] = [];
  /** Slots whose total changed since the publisher last looked, each at most once. */
  readonly dirtyQueue: number[] = [];
  /**
   * Slots the rates pass must visit, each at most once: chat or reactions arrived since the last
   * pass, or the rates have not yet decayed to zero (and been saved as zero).
   */
  readonly rated: number[] = [];
  readonly #bySlot: (StreamRecord | undefined)[] = [];
  readonly #byName = new Map<string, StreamRecord>();
  readonly #free: number[] = [];
  readonly #onCreate: (record: StreamRecord) => void;

  constructor(onCreate: (record: StreamRecord) => void) {
    this.#onCreate = onCreate;
    this.totals = new Float64Array(INITIAL_CAPACITY);
    this.refs = new Int32Array(INITIAL_CAPACITY);
    this.dirty = new Uint8Array(INITIAL_CAPACITY);
    this.where = new Int32Array(INITIAL_CAPACITY);
    this.chat = new Float64Array(INITIAL_CAPACITY);
    this.inRated = new Uint8Array(INITIAL_CAPACITY);
  }

  get size(): number {
    return this.#byName.size;
  }

  get(name: string): StreamRecord | undefined {
    return this.#byName.get(name);
  }

  record(slot: number): StreamRecord | undefined {
    return this.#bySlot[slot];
  }

  /** The slot of `name`, created on first sight. May grow (replace) the typed arrays. */
  slotFor(name: string, now: number): number {
    const existing = this.#byName.get(name);
    if (existing) return existing.slot;
    const slot = this.#free.pop() ?? this.#bySlot.length;
    if (slot >= this.totals.length) this.#grow();
    const record = new StreamRecord(ownedCopy(name), slot, now);
    this.#bySlot[slot] = record;
    this.names[slot] = record.name;
    this.#byName.set(record.name, record);
    this.#onCreate(record);
    return slot;
  }

  markDirty(slot: number): void {
    if (this.dirty[slot] === 0) {
      this.dirty[slot] = 1;
      this.dirtyQueue.push(slot);
    }
  }

  markRated(slot: number): void {
    if (this.inRated[slot] === 0) {
      this.inRated[slot] = 1;
      this.rated.push(slot);
    }
  }

  /** Every live record, in slot order. */
  records(): StreamRecord[] {
    const out: StreamRecord[] = [];
    for (const r of this.#bySlot) if (r) out.push(r);
    return out;
  }

  /** Frees the slot; the caller has checked that nothing refers to it. */
  forget(record: StreamRecord): void {
    record.alive = false;
    this.#byName.delete(record.name);
    this.#bySlot[record.slot] = undefined;
    this.names[record.slot] = '';
    this.totals[record.slot] = 0;
    this.refs[record.slot] = 0;
    this.chat[record.slot] = 0;
    this.#free.push(record.slot);
  }

  /** Marks every record dead (partition disowned) so that late store results are dropped. */
  kill(): void {
    for (const r of this.#bySlot) if (r) r.alive = false;
  }

  #grow(): void {
    const capacity = this.totals.length * 2;
    const totals = new Float64Array(capacity);
    totals.set(this.totals);
    const refs = new Int32Array(capacity);
    refs.set(this.refs);
    const dirty = new Uint8Array(capacity);
    dirty.set(this.dirty);
    const where = new Int32Array(capacity);
    where.set(this.where);
    const chat = new Float64Array(capacity);
    chat.set(this.chat);
    const inRated = new Uint8Array(capacity);
    inRated.set(this.inRated);
    this.totals = totals;
    this.refs = refs;
    this.dirty = dirty;
    this.where = where;
    this.chat = chat;
    this.inRated = inRated;
  }
}
