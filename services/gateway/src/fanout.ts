import {
  EncodedEvent,
  jsonCodec,
  msgpackCodec,
  type ChatEvent,
  type Codec,
  type StreamEvent,
} from '@roar/protocol';
import { ChatSampler } from './chat-sampler.js';
import type { GatewayMetrics } from './metrics.js';
import type { OwnMessages } from './own-messages.js';
import { topicOf, type Publisher } from './socket.js';
import type { StreamState } from './stream-state.js';

export interface FanoutOptions {
  publisher: Publisher;
  metrics: GatewayMetrics;
  own: OwnMessages;
  countIntervalMs: number;
  chatBudgetPerS: number;
  stormTickMs: number;
  random?: () => number;
}

const PRIORITY_ROLES = new Set(['moderator', 'broadcaster', 'admin']);
const CODECS: readonly Codec[] = [msgpackCodec, jsonCodec];

/** Chat from the broadcaster and moderators is never sampled out nor withheld from slow clients. */
function isPriorityChat(event: ChatEvent): boolean {
  return event.user.roles?.some((r) => PRIORITY_ROLES.has(r)) ?? false;
}

/** What a slow connection still gets: everything but ordinary chat and reaction bursts. */
function isPriorityTier(event: StreamEvent): boolean {
  if (event.type === 'chat') return isPriorityChat(event);
  return event.type !== 'reactions';
}

/**
 * Per-tick fanout: the events a stream gathered during one tick go out as one frame, encoded
 * once per codec and written to every subscribed socket by one topic publish. Writes per viewer
 * per second, not messages, are what a gateway pays for, so this is where they are bounded:
 * chat is sampled to a per-viewer budget, counts and reaction bursts are latest-value and sent at
 * most once per interval, and slow connections get a priority-only frame instead.
 */
export class Fanout {
  readonly #dirty = new Set<StreamState>();
  readonly #o: FanoutOptions;
  /** Most one viewer-count push per stream per this long (raised under pressure). */
  countIntervalMs: number;
  /** Reaction bursts are merged and sent at most once per this long; 0 sends them as they come. */
  reactionIntervalMs = 0;
  /** Chat messages per second a viewer of one stream receives at most (priority chat aside). */
  chatBudgetPerS: number;
  /** While a stream's chat is sampled, its frames go out at most this often. */
  stormTickMs: number;

  constructor(options: FanoutOptions) {
    this.#o = options;
    this.countIntervalMs = options.countIntervalMs;
    this.chatBudgetPerS = options.chatBudgetPerS;
    this.stormTickMs = options.stormTickMs;
  }

  markDirty(state: StreamState): void {
    this.#dirty.add(state);
  }

  forget(state: StreamState): void {
    this.#dirty.delete(state);
  }

  flush(now: number): void {
    for (const state of this.#dirty) {
      // A stream in a chat storm goes out in fewer, fuller frames: a reader cannot tell 50 ms
      // from 200 ms, and frames, not messages, are what a viewer costs. Priority news does not wait.
      if (
        state.sampler !== undefined &&
        state.sampler.ratio < 1 &&
        now - state.lastFlushAt < this.stormTickMs &&
        !state.pending.some((e) => e.event.type !== 'chat' || isPriorityChat(e.event))
      ) {
        continue;
      }
      const events = state.pending;
      state.pending = [];
      if (state.pendingReactions && now - state.lastReactionsPush >= this.reactionIntervalMs) {
        events.push(EncodedEvent.of(state.pendingReactions));
        state.pendingReactions = undefined;
        state.lastReactionsPush = now;
      }
      if (state.pendingViewers && now - state.lastViewersPush >= this.countIntervalMs) {
        events.push(state.pendingViewers);
        state.pendingViewers = undefined;
        state.lastViewersPush = now;
      }
      if (!state.pendingViewers && !state.pendingReactions) this.#dirty.delete(state);
      if (events.length > 0) this.#deliver(state, events, now);
    }
  }

  #deliver(state: StreamState, events: EncodedEvent[], now: number): void {
    state.lastFlushAt = now;
    const ordinary: EncodedEvent[] = [];
    for (const e of events) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      // History holds every message; sampling decides only what is pushed live.
      state.recent.push({ id: event.id, event: e as EncodedEvent<ChatEvent> });
      if (!isPriorityChat(event)) ordinary.push(e);
    }
    let full = events;
    let left: Set<EncodedEvent> | undefined;
    if (ordinary.length > 0) {
      state.sampler ??= new ChatSampler(this.chatBudgetPerS, now);
      state.sampler.budgetPerS = this.chatBudgetPerS;
      const kept = state.sampler.select(ordinary, now, this.#o.random);
      if (kept.length < ordinary.length) {
        const keep = new Set(kept);
        left = new Set(ordinary.filter((e) => !keep.has(e)));
        full = events.filter((e) => !left?.has(e));
        this.#o.metrics.sampledOut.inc(left.size);
      }
    }
    const ratio = state.sampler?.ratio ?? 1;
    const head =
      ratio < 1
        ? { type: 'batch' as const, stream: state.id, sampled: round(ratio) }
        : { type: 'batch' as const, stream: state.id };

    const { publisher, metrics } = this.#o;
    let slow = 0;
    // Built only when some connection is on the priority tier (most ticks none is).
    let priority: EncodedEvent[] | undefined;
    for (const codec of CODECS) {
      const topic = topicOf(codec, state.id);
      const viewers = publisher.subscribers(topic);
      if (viewers > 0 && full.length > 0) {
        publisher.publish(topic, codec.encodeBatch(head, full), codec.binary);
        metrics.framesOut.inc(viewers);
      }
      const slowTopic = topicOf(codec, state.id, true);
      const slowViewers = publisher.subscribers(slowTopic);
      slow += slowViewers;
      if (slowViewers === 0) continue;
      priority ??= events.filter((e) => isPriorityTier(e.event));
      if (priority.length > 0) {
        publisher.publish(slowTopic, codec.encodeBatch(head, priority), codec.binary);
        metrics.framesOut.inc(slowViewers);
      }
    }
    metrics.batches.inc();
    if (slow > 0) {
      if (full.some((e) => e.event.type === 'chat' && !isPriorityChat(e.event)))
        metrics.skippedFrames.inc({ class: 'chat' }, slow);
      if (full.some((e) => e.event.type === 'reactions'))
        metrics.skippedFrames.inc({ class: 'reactions' }, slow);
    }
    this.#ownMessages(state, events, left, head);
  }

  /** A sender always sees its own message, even when sampling left it out for everyone else. */
  #ownMessages(
    state: StreamState,
    events: readonly EncodedEvent[],
    left: Set<EncodedEvent> | undefined,
    head: { type: 'batch'; stream: string; sampled?: number },
  ): void {
    for (const e of events) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      const ws = this.#o.own.take(event.id);
      if (!ws || !left?.has(e)) continue;
      const s = ws.getUserData();
      if (!s.open || !s.streams.includes(state.id)) continue;
      ws.send(s.codec.encodeBatch(head, [e]), s.codec.binary);
      this.#o.metrics.framesOut.inc();
    }
  }
}

function round(ratio: number): number {
  return Math.round(ratio * 1000) / 1000;
}
