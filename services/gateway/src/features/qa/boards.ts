import { EncodedEvent, type QaEvent } from '@roar/protocol';
import type { QaBoard, QaStore } from '@roar/store';
import type { Fanout } from '../../streams/fanout.js';
import type { StreamState } from '../../streams/stream-state.js';

/** The latest-value slot key of a stream's board (see `LatestSlots`). */
export const QA_SLOT = 'qa';

interface Known {
  rev: number;
  open: boolean;
  event: EncodedEvent<QaEvent> | undefined;
  /** When the last read from the store started; at most one read per stream is in flight. */
  readAt: number;
  reading: boolean;
  /** Boards taken from the bus so far: a read they overtook may be older than what is shown. */
  pushes: number;
}

/**
 * A stream with no Q&A is read this seldom: a session opened elsewhere reaches this gateway by
 * the opener's bus publish, and by this read at the latest when that publish was lost.
 */
export const IDLE_READ_MS = 30_000;

/**
 * The boards of the streams this gateway holds. Who computes the top N: the store (a sorted set,
 * exact), read by each gateway once per `intervalMs` per stream that has a Q&A; a stream that
 * never had one is read every `IDLE_READ_MS` only. A board goes to the stream's viewers through
 * its latest-value slot only when its `rev` differs from the one shown, so an unchanged board
 * sends nothing; an older one is shown only when the store lost its data (see `#accept`), never
 * a slow read that a moderator's publish overtook.
 */
export class Boards {
  readonly #store: QaStore;
  readonly #topN: number;
  readonly #known = new Map<string, Known>();

  readonly #fanout: Pick<Fanout, 'markDirty'>;

  constructor(store: QaStore, topN: number, fanout: Pick<Fanout, 'markDirty'>) {
    this.#store = store;
    this.#topN = topN;
    this.#fanout = fanout;
  }

  /** Whether `stream`'s Q&A is known to be open; undefined before its board was read. */
  isOpen(stream: string): boolean | undefined {
    return this.#known.get(stream)?.open;
  }

  /** The board event to send a joiner, when the stream has a Q&A. */
  current(stream: string): EncodedEvent<QaEvent> | undefined {
    return this.#known.get(stream)?.event;
  }

  /** Reads `stream`'s board now (open hook, after a moderator's action); returns the event. */
  async read(state: StreamState, now: number): Promise<EncodedEvent<QaEvent> | undefined> {
    const known = this.#entry(state.id);
    known.reading = true;
    known.readAt = now;
    const pushes = known.pushes;
    try {
      const board = await this.#store.board(state.id, this.#topN);
      return this.#accept(state, known, board, known.pushes === pushes);
    } finally {
      known.reading = false;
    }
  }

  /**
   * Starts a read for every held stream whose board is due (`intervalMs` since its last read)
   * and has a Q&A; failed reads are reported through `onError` and keep the last board shown.
   */
  refresh(
    streams: Iterable<StreamState>,
    now: number,
    intervalMs: number,
    onError: (stream: string, error: unknown) => void,
  ): void {
    for (const state of streams) {
      const known = this.#known.get(state.id);
      if (!known || known.reading) continue;
      if (now - known.readAt < (known.rev === 0 ? IDLE_READ_MS : intervalMs)) continue;
      this.read(state, now).catch((error: unknown) => onError(state.id, error));
    }
  }

  /** A board published by another gateway (after a moderator's action): shown when newer. */
  receive(state: StreamState, encoded: EncodedEvent<QaEvent>): void {
    const known = this.#entry(state.id);
    const event = encoded.event;
    if (event.rev <= known.rev) return;
    known.pushes++;
    known.rev = event.rev;
    known.open = event.open;
    known.event = encoded;
    // The bus path marks the stream for the next frame itself.
    state.slots.set(QA_SLOT, encoded);
  }

  forget(stream: string): void {
    this.#known.delete(stream);
  }

  /**
   * A board read from the store. An older rev than the one shown is a read that a bus board
   * overtook (dropped), or, when no bus board came in while it was read, a store that lost its
   * data (Redis restarted empty): then the store is the truth, and the board starts over.
   */
  #accept(
    state: StreamState,
    known: Known,
    board: QaBoard,
    unraced: boolean,
  ): EncodedEvent<QaEvent> | undefined {
    if (board.rev === known.rev || (board.rev < known.rev && !unraced)) return known.event;
    const encoded = EncodedEvent.of<QaEvent>({ type: 'qa', ...board });
    known.rev = board.rev;
    known.open = board.open;
    known.event = encoded;
    state.slots.set(QA_SLOT, encoded);
    this.#fanout.markDirty(state);
    return encoded;
  }

  #entry(stream: string): Known {
    let known = this.#known.get(stream);
    if (!known) {
      known = { rev: 0, open: false, event: undefined, readAt: 0, reading: false, pushes: 0 };
      this.#known.set(stream, known);
    }
    return known;
  }
}
