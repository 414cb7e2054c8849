import type { ChatSampler } from './chat-sampler.js';

/** Fanout's state for one stream (`StreamState.delivery`): written only by fanout and its queue. */
export class Delivery {
  /** When the stream's last frame went out. */
  lastFlushAt = 0;
  /** Viewer slices (see `Fanout`): one until the stream outgrows it. */
  slices = 1;
  /** The slice the last joiner went to, tried first for the next one. */
  openSlice = 0;
  /** Fanout writes queued for this stream and not done yet (see `WriteQueue`). */
  queued = 0;
  /** Made when the stream first has chat to sample. */
  sampler: ChatSampler | undefined;
}
