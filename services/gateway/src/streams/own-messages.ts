import { EncodedEvent, type BatchMessage } from '@roar/protocol';
import type { Socket } from '../transport/socket.js';

interface Pending {
  ws: Socket;
  at: number;
  /** As accepted here: its bytes and its decoded form. */
  encoded: EncodedEvent | undefined;
}

/**
 * Chat messages this gateway accepted, by id, until their fanout: a sender always sees its own
 * message, so one that sampling leaves out is sent to its sender's connection directly. They are
 * also how the gateway knows its own messages when the bus brings them back: the bytes it sent
 * are not decoded again (`known`).
 */
export class OwnMessages {
  readonly #pending = new Map<string, Pending>();

  add(id: string, ws: Socket, now: number, encoded?: EncodedEvent): void {
    this.#pending.set(id, { ws, at: now, encoded });
  }

  /**
   * The message `payload` carries when it is one accepted here and not yet fanned out, byte for
   * byte as it was published (the bus brings every gateway's chat back to it); undefined for
   * any other payload, which the caller decodes itself.
   */
  known(payload: Uint8Array): EncodedEvent | undefined {
    const id = EncodedEvent.peekChatId(payload);
    const encoded = id === undefined ? undefined : this.#pending.get(id)?.encoded;
    if (encoded === undefined) return undefined;
    const bytes = encoded.msgpack;
    if (bytes === payload) return encoded;
    if (bytes.length !== payload.length) return undefined;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== payload[i]) return undefined;
    return encoded;
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
   * Sends each sender its own messages of a batch that sampling `left` out, all of one sender's
   * in one batch under the same head (one write per sender per batch, however many it sent);
   * returns how many frames it wrote. Every accepted message's entry is taken.
   */
  deliver(
    stream: string,
    events: readonly EncodedEvent[],
    left: Set<EncodedEvent> | undefined,
    head: Omit<BatchMessage, 'events'>,
  ): number {
    let bySender: Map<Socket, EncodedEvent[]> | undefined;
    for (const e of events) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      const ws = this.take(event.id);
      if (!ws || !left?.has(e)) continue;
      bySender ??= new Map();
      const mine = bySender.get(ws);
      if (mine) mine.push(e);
      else bySender.set(ws, [e]);
    }
    if (bySender === undefined) return 0;
    let written = 0;
    for (const [ws, mine] of bySender) {
      const s = ws.getUserData();
      if (!s.open || !s.streams.includes(stream)) continue;
      ws.send(s.codec.encodeBatch(head, mine), s.codec.binary);
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
