import type { EventLog, LogEvent, LogEventType } from '@roar/log';
import type { EventFeed } from './feed.js';

/** How often an idle log feed looks for new events. */
const POLL_MS = 25;

/**
 * A feed over any `EventLog` by position (`read({fromSeq})`), the cursor kept in memory: for
 * embedded mode, whose memory log does not outlive the process either.
 */
export class LogFeed implements EventFeed {
  readonly #log: EventLog;
  readonly #types: ReadonlySet<LogEventType>;
  /** The last event returned by `next`. */
  #read: number;
  #closed = false;
  /** The log is in the process: nothing to open. */
  readonly ready = true;

  /** `after`: the position to start after (the log's last `seq` to skip what came before). */
  constructor(log: EventLog, types: readonly LogEventType[], after = 0) {
    this.#log = log;
    this.#types = new Set(types);
    this.#read = after;
  }

  async next(max: number, waitMs: number): Promise<LogEvent[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const read = await this.#log.read({ fromSeq: this.#read + 1, limit: max });
      const last = read.at(-1);
      if (last !== undefined) this.#read = last.seq;
      const events = read.filter((e) => this.#types.has(e.type));
      if (events.length > 0 || read.length > 0 || this.#closed || Date.now() >= deadline)
        return events;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async ack(): Promise<void> {
    // The cursor moved in `next`: an embedded process restarts with an empty log anyway.
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
