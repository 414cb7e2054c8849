import type { BatchMessage, ChatEvent, JoinedMessage } from '@roar/protocol';
import type { Emitter, RoarClientEvents, StreamChat, StreamReactions } from './events.js';
import { PlaybackBuffer } from './playback.js';
import type { ResolvedOptions } from './options.js';
import { isChatEvent, type StreamState } from './streams.js';

type Held = { type: 'chat'; payload: StreamChat } | { type: 'reactions'; payload: StreamReactions };

/**
 * Turns the server's `joined` and `batch` frames into the app's events: drops chat messages
 * already delivered (by id, per stream), and holds chat and reactions for playback alignment
 * when it is on. Viewer counts are never held: the count is "now", whatever the video shows.
 */
export class Delivery {
  readonly #events: Emitter<RoarClientEvents>;
  readonly #playback: PlaybackBuffer<Held> | undefined;
  readonly #isJoined: (stream: string) => boolean;
  #duplicates = 0;

  constructor(
    options: ResolvedOptions,
    events: Emitter<RoarClientEvents>,
    offsetMs: () => number,
    isJoined: (stream: string) => boolean,
  ) {
    this.#events = events;
    this.#isJoined = isJoined;
    const playback = options.playback;
    if (playback) {
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
    const { stream, viewers, resumed, gap, reactions } = message;
    this.#events.emit('joined', { stream, viewers, history, resumed, gap, reactions });
    this.#events.emit('viewers', { stream, viewers });
    if (gap) this.#events.emit('gap', { stream });
    for (const event of history) this.#deliver({ type: 'chat', payload: { stream, event } });
    return { ...message, history };
  }

  /** Delivers one tick of a joined stream's events, in order; unknown event types are skipped. */
  batch(state: StreamState, message: BatchMessage): void {
    const { stream } = message;
    if (!Array.isArray(message.events)) return;
    for (const event of message.events) {
      switch (event.type) {
        case 'chat':
          if (!isChatEvent(event)) break;
          if (state.accept(event)) this.#deliver({ type: 'chat', payload: { stream, event } });
          else this.#duplicates++;
          break;
        case 'reactions':
          this.#deliver({
            type: 'reactions',
            payload: { stream, counts: event.counts, windowMs: event.windowMs },
          });
          break;
        case 'viewers': {
          const { type: _type, ...viewers } = event;
          this.#events.emit('viewers', { stream, viewers });
          break;
        }
        default:
          // Event types from a newer server are skipped, so servers can add them freely.
          break;
      }
    }
  }

  /** Drops every held event. */
  clear(): void {
    this.#playback?.clear();
  }

  #deliver(held: Held): void {
    if (!this.#playback) return this.#release(held);
    // Reactions carry no time of their own: they count from when they arrived.
    this.#playback.push(held, held.type === 'chat' ? held.payload.event.ts : undefined);
  }

  #release(held: Held): void {
    // A stream left while its events were held gets none of them.
    if (!this.#isJoined(held.payload.stream)) return;
    if (held.type === 'chat') this.#events.emit('chat', held.payload);
    else this.#events.emit('reactions', held.payload);
  }
}
