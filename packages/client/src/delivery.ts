import type { BatchMessage, ChatEvent, JoinedMessage, StreamEvent } from '@roar/protocol/core';
import type {
  Emitter,
  RoarClientEvents,
  StreamAnnouncement,
  StreamChat,
  StreamReactions,
} from './events.js';
import type { FeatureHandler } from './feature-host.js';
import { PlaybackBuffer } from './playback.js';
import type { ResolvedOptions } from './options.js';
import { Removals } from './removals.js';
import { isAnnouncement, isChatEvent, type StreamState } from './streams.js';

type Held =
  | { type: 'chat'; payload: StreamChat }
  | { type: 'reactions'; payload: StreamReactions }
  | { type: 'announcement'; payload: StreamAnnouncement }
  /** A feature's event (polls, Q&A, live state), released by its own function. */
  | { type: 'feature'; payload: { stream: string }; ts: number | undefined; release: () => void };

/**
 * Turns the server's `joined` and `batch` frames into the app's events: drops chat messages
 * already delivered (by id, per stream), and holds chat, reactions, announcements and the
 * features' events (see `FeatureHost.deliver`) for playback alignment when it is on. Viewer counts, moderation and settings are never held: the
 * count is "now" whatever the video shows, and a removal must reach messages still held back.
 */
export class Delivery {
  readonly #events: Emitter<RoarClientEvents>;
  readonly #playback: PlaybackBuffer<Held> | undefined;
  readonly #removals: Removals | undefined;
  readonly #isJoined: (stream: string) => boolean;
  readonly #serverNow: () => number;
  /** Handlers of the event types features added, by type. */
  readonly #features = new Map<string, Set<FeatureHandler>>();
  #duplicates = 0;

  constructor(
    options: ResolvedOptions,
    events: Emitter<RoarClientEvents>,
    offsetMs: () => number,
    isJoined: (stream: string) => boolean,
  ) {
    this.#events = events;
    this.#isJoined = isJoined;
    this.#serverNow = () => options.clock.now() + offsetMs();
    const playback = options.playback;
    if (playback) {
      this.#removals = new Removals();
      this.#playback = new PlaybackBuffer<Held>({
        clock: options.clock,
        latencyMs: playback.latencyMs,
        offsetMs,
        maxHeld: playback.maxHeld,
        release: (held) => this.#release(held),
      });
    }
  }

  /** True when events are held for playback alignment, which needs the server clock. */
  get aligning(): boolean {
    return this.#playback !== undefined;
  }

  /** Chat messages dropped because they had been delivered already. */
  get duplicates(): number {
    return this.#duplicates;
  }

  get held(): number {
    return this.#playback?.held ?? 0;
  }

  get heldDropped(): number {
    return this.#playback?.dropped ?? 0;
  }

  /**
   * Delivers a `joined` reply for `state`: emits `joined`, `viewers`, `gap` when messages were
   * lost, then each history message not delivered before as `chat`. Returns the reply with only
   * those messages in its history.
   */
  joined(state: StreamState, message: JoinedMessage): JoinedMessage {
    const history: ChatEvent[] = [];
    for (const event of Array.isArray(message.history) ? message.history : []) {
      if (!isChatEvent(event)) continue;
      if (state.accept(event)) history.push(event);
      else this.#duplicates++;
    }
    const { stream, viewers, resumed, gap, reactions, settings } = message;
    const pinned = isChatEvent(message.pinned) ? message.pinned : null;
    this.#events.emit('joined', {
      stream,
      viewers,
      history,
      resumed,
      gap,
      reactions,
      settings,
      pinned,
    });
    this.#events.emit('viewers', { stream, viewers });
    if (gap) this.#events.emit('gap', { stream, reason: 'resume' });
    for (const event of history) this.#deliver({ type: 'chat', payload: { stream, event } });
    return { ...message, history };
  }

  /** Delivers one tick of a joined stream's events, in order; unknown event types are skipped. */
  batch(state: StreamState, message: BatchMessage): void {
    const { stream } = message;
    if (!Array.isArray(message.events)) return;
    const fraction = typeof message.sampled === 'number' ? message.sampled : 1;
    if (fraction !== state.sampling) {
      state.sampling = fraction;
      this.#events.emit('sampling', { stream, fraction });
    }
    for (const event of message.events) this.#event(state, stream, event);
  }

  /** Adds a feature's handler for a stream event type; returns the function that removes it. */
  handle(type: string, handler: FeatureHandler): () => void {
    let set = this.#features.get(type);
    if (!set) this.#features.set(type, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** A feature's event, held for playback alignment like chat (see `FeatureHost.deliver`). */
  deliverFeature(stream: string, ts: number | undefined, release: () => void): void {
    this.#deliver({ type: 'feature', payload: { stream }, ts, release });
  }

  /** Drops every held event. */
  clear(): void {
    this.#playback?.clear();
  }

  #event(state: StreamState, stream: string, event: StreamEvent): void {
    switch (event.type) {
      case 'chat':
        if (!isChatEvent(event)) return;
        if (state.accept(event)) this.#deliver({ type: 'chat', payload: { stream, event } });
        else this.#duplicates++;
        return;
      case 'reactions':
        return this.#deliver({
          type: 'reactions',
          payload: { stream, counts: event.counts, windowMs: event.windowMs },
        });
      case 'viewers': {
        const { type: _type, ...viewers } = event;
        return this.#events.emit('viewers', { stream, viewers });
      }
      case 'announcement':
        if (!isAnnouncement(event)) return;
        return this.#deliver({ type: 'announcement', payload: { stream, event } });
      case 'delete':
        if (typeof event.id !== 'string') return;
        this.#removals?.deleted(event.id);
        return this.#events.emit('delete', { stream, id: event.id });
      case 'clear':
        this.#removals?.cleared(stream, this.#serverNow());
        return this.#events.emit('clear', { stream });
      case 'user_removed': {
        const { userId, until } = event;
        if (typeof userId !== 'string') return;
        this.#removals?.userRemoved(stream, userId, this.#serverNow());
        return this.#events.emit('user_removed', {
          stream,
          userId,
          until: typeof until === 'number' ? until : null,
        });
      }
      case 'pin':
        return this.#events.emit('pin', {
          stream,
          message: isChatEvent(event.message) ? event.message : null,
        });
      case 'settings':
        if (typeof event.settings !== 'object' || event.settings === null) return;
        return this.#events.emit('settings', { stream, settings: event.settings });
      case 'gap':
        return this.#events.emit('gap', {
          stream,
          reason: 'live',
          missed: typeof event.missed === 'number' ? event.missed : 0,
        });
      default:
        // Features' types (polls, Q&A, live state) go to their handlers; types from a newer
        // server, or of a feature the app did not import, are skipped.
        for (const handler of this.#features.get(event.type) ?? []) handler(stream, event, state);
        return;
    }
  }

  #deliver(held: Held): void {
    if (!this.#playback) return this.#release(held);
    // Reactions carry no time of their own: they count from when they arrived.
    const ts =
      held.type === 'reactions'
        ? undefined
        : held.type === 'feature'
          ? held.ts
          : held.payload.event.ts;
    this.#playback.push(held, ts);
  }

  #release(held: Held): void {
    const { stream } = held.payload;
    // A stream left while its events were held gets none of them.
    if (!this.#isJoined(stream)) return;
    switch (held.type) {
      case 'chat':
        if (this.#removals?.hides(stream, held.payload.event)) return;
        return this.#events.emit('chat', held.payload);
      case 'reactions':
        return this.#events.emit('reactions', held.payload);
      case 'announcement':
        return this.#events.emit('announcement', held.payload);
      case 'feature':
        return held.release();
    }
  }
}
