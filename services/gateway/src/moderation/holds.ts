import type { Bus, Subjects } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { HeldMessage, Store } from '@roar/store';
import type { HistoryWriter } from '../streams/history-writer.js';

/**
 * Messages waiting before publication: held by a check for a moderator to approve, or delayed
 * by the stream's non-moderator delay and released by a timer on the gateway that accepted them.
 * The queue lives in the store, so any gateway can approve, and `takeHeld` makes sure each
 * message is published (or denied) exactly once.
 */
export class Holds {
  readonly #timers = new Map<string, { stream: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    private readonly history: HistoryWriter,
    private readonly log: Logger,
    /** Released messages are appended to the durable event log here; none when it is off. */
    private readonly chatLog?: { publishedBytes(stream: string, bytes: Uint8Array): void },
  ) {}

  /** Queues a message; with `releaseAfterMs` it is published then unless a moderator acted. */
  async hold(message: HeldMessage, releaseAfterMs?: number): Promise<void> {
    await this.store.moderation.hold(message);
    if (releaseAfterMs === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(message.id);
      this.release(message.stream, message.id).catch((error: unknown) =>
        this.log.warn('releasing a delayed message failed', {
          stream: message.stream,
          id: message.id,
          error,
        }),
      );
    }, releaseAfterMs);
    this.#timers.set(message.id, { stream: message.stream, timer });
  }

  /** Publishes a held message if it is still held; resolves with it, or undefined. */
  async release(stream: string, id: string): Promise<HeldMessage | undefined> {
    this.cancel(id);
    const message = await this.store.moderation.takeHeld(stream, id);
    if (message) this.publish(stream, message);
    return message;
  }

  /** Removes a held message without publishing it. */
  async drop(stream: string, id: string): Promise<HeldMessage | undefined> {
    this.cancel(id);
    return this.store.moderation.takeHeld(stream, id);
  }

  /** Stops a local delay timer (the message was approved, denied or deleted elsewhere). */
  cancel(id: string): void {
    const entry = this.#timers.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#timers.delete(id);
  }

  publish(stream: string, message: { id: string; bytes: Uint8Array }): void {
    this.bus.publish(this.subjects.stream(stream, 'chat'), message.bytes);
    this.history.add(stream, { id: message.id, bytes: message.bytes });
    this.chatLog?.publishedBytes(stream, message.bytes);
  }

  close(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
