import type { LogEvent } from '@roar/log';

/**
 * One endpoint's cursor over the log: the events of its types, in log order, from the first
 * event not yet acknowledged.
 *
 * Guarantees (both implementations):
 * - `next` returns events in `seq` order, after those returned before, and never skips one;
 * - `ack(seq)` records that every event up to `seq` was handled (delivered or dead-lettered);
 * - a feed opened again after a restart starts after the last acknowledged event, so an event
 *   returned but not acknowledged comes again (at least once, never a hole) — for the JetStream
 *   feed across process restarts, for the log feed as long as its log lives.
 */
export interface EventFeed {
  /**
   * It has what it needs to read (JetStream: its consumer was opened since the connection last
   * (re)connected, and no read failed since); `/readyz` reports it.
   */
  readonly ready: boolean;
  /** Up to `max` events; waits up to `waitMs` for the first when none is ready. */
  next(max: number, waitMs: number): Promise<LogEvent[]>;
  ack(seq: number): Promise<void>;
  close(): Promise<void>;
}
