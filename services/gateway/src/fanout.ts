import { jsonCodec, msgpackCodec, type ChatEvent, type EncodedEvent } from '@roar/protocol';
import type { GatewayMetrics } from './metrics.js';
import { topicOf, type Publisher } from './socket.js';
import type { StreamState } from './stream-state.js';

/**
 * Per-tick fanout: the events a stream gathered during one tick go out as one frame, encoded
 * once per codec and written to every subscribed socket by one topic publish. Writes per viewer
 * per second, not messages, are what a gateway pays for, so this is where they are bounded.
 */
export class Fanout {
  readonly #dirty = new Set<StreamState>();
  readonly #publisher: Publisher;
  readonly #metrics: GatewayMetrics;
  countIntervalMs: number;

  constructor(publisher: Publisher, metrics: GatewayMetrics, countIntervalMs: number) {
    this.#publisher = publisher;
    this.#metrics = metrics;
    this.countIntervalMs = countIntervalMs;
  }

  markDirty(state: StreamState): void {
    this.#dirty.add(state);
  }

  forget(state: StreamState): void {
    this.#dirty.delete(state);
  }

  flush(now: number): void {
    for (const state of this.#dirty) {
      const events = state.pending;
      if (state.pendingViewers && now - state.lastViewersPush >= this.countIntervalMs) {
        events.push(state.pendingViewers);
        state.pendingViewers = undefined;
        state.lastViewersPush = now;
      }
      if (!state.pendingViewers) this.#dirty.delete(state);
      if (events.length === 0) continue;
      state.pending = [];
      this.#publish(state.id, events);
      for (const e of events) {
        const event = e.event;
        // Delivered now, so history from here on includes it; joiners never get it twice.
        if (event.type === 'chat')
          state.recent.push({ id: event.id, event: e as EncodedEvent<ChatEvent> });
      }
    }
  }

  #publish(stream: string, events: readonly EncodedEvent[]): void {
    const binaryTopic = topicOf(msgpackCodec, stream);
    const binaryViewers = this.#publisher.subscribers(binaryTopic);
    if (binaryViewers > 0) {
      this.#publisher.publish(
        binaryTopic,
        msgpackCodec.encodeBatch({ type: 'batch', stream }, events),
        true,
      );
    }
    const textTopic = topicOf(jsonCodec, stream);
    const textViewers = this.#publisher.subscribers(textTopic);
    if (textViewers > 0) {
      this.#publisher.publish(
        textTopic,
        jsonCodec.encodeBatch({ type: 'batch', stream }, events),
        false,
      );
    }
    this.#metrics.batches.inc();
    this.#metrics.framesOut.inc(binaryViewers + textViewers);
  }
}
