import type { ChatSampler } from './chat-sampler.js';
import type { Joined } from './fanout-join.js';

/** Fanout's state for one stream (`StreamState.delivery`): written only by fanout and its queue. */
export class Delivery {
  /** When the stream's last frame went out. */
  lastFlushAt = 0;
  /**
   * When the stream's last frame went out between ticks (at once on news after a quiet tick, or
   * as soon as writes it waited behind were done): the next tick less than a tick later skips
   * it, so a viewer still gets at most one frame per tick.
   */
  offTickAt = Number.NEGATIVE_INFINITY;
  /** Viewer slices (see `Fanout`): one until the stream outgrows it. */
  slices = 1;
  /** The slice the last joiner went to, tried first for the next one. */
  openSlice = 0;
  /** Fanout writes queued for this stream and not done yet (see `WriteQueue`). */
  queued = 0;
  /**
   * The latest values the last batch gave only its later slices (see `SliceFrames`): the next
   * batch leaves them out there. Cleared when a viewer subscribes, as it may not have them.
   */
  joined: Joined | undefined;
  /**
   * Per slot key (by index), the newest generation each slice was written (see
   * `SliceFrames.written`): when every slice holds a value, it has reached every viewer.
   */
  readonly held: number[][] = [];
  /** Made when the stream first has chat to sample. */
  sampler: ChatSampler | undefined;
}
