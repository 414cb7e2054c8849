import type { EncodedEvent } from '@roar/protocol';
import type { Socket } from '../transport/socket.js';

/**
 * Chat messages this gateway accepted, by id, until their fanout: a sender always sees its own
 * message, so one that sampling leaves out is sent to its sender's connection directly.
 */
export class OwnMessages {
  readonly #pending = new Map<string, { ws: Socket; at: number }>();

  add(id: string, ws: Socket, now: number): void {
    this.#pending.set(id, { ws, at: now });
  }

  /** The sender's socket, once; undefined for messages from other gateways. */
  take(id: string): Socket | undefined {
    const entry = this.#pending.get(id);
    if (!entry) return undefined;
    this.#pending.delete(id);
    return entry.ws;
  }

  /** Forgets messages that never came back from the bus (it was down), so the map stays small. */
  sweep(now: number, maxAgeMs: number): void {
    for (const [id, entry] of this.#pending) {
      if (now - entry.at > maxAgeMs) this.#pending.delete(id);
    }
  }

  /**
   * Sends each sender its own messages of a batch that sampling `left` out, in a batch of one
   * under the same head; returns how many it wrote. Every accepted message's entry is taken.
   */
  deliver(
    stream: string,
    events: readonly EncodedEvent[],
    left: Set<EncodedEvent> | undefined,
    head: { type: 'batch'; stream: string; sampled?: number },
  ): number {
    let written = 0;
    for (const e of events) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      const ws = this.take(event.id);
      if (!ws || !left?.has(e)) continue;
      const s = ws.getUserData();
      if (!s.open || !s.streams.includes(stream)) continue;
      ws.send(s.codec.encodeBatch(head, [e]), s.codec.binary);
      written++;
    }
    return written;
  }

  /**
   * Sends one message to its sender alone (chat the relay left out, handed back by the relay
   * bus), if the sender is still here on the stream; returns whether it was written.
   */
  deliverAlone(stream: string, e: EncodedEvent): boolean {
    const event = e.event;
    if (event.type !== 'chat') return false;
    const ws = this.take(event.id);
    const s = ws?.getUserData();
    if (!ws || !s?.open || !s.streams.includes(stream)) return false;
    ws.send(s.codec.encodeBatch({ type: 'batch', stream }, [e]), s.codec.binary);
    return true;
  }

  get size(): number {
    return this.#pending.size;
  }
}
