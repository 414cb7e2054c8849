import type { BatchMessage, ChatEvent, JoinedMessage, StreamEvent } from '@roar/protocol/core';
import type {
  Emitter,
  RoarClientEvents,
  StreamAnnouncement,
  StreamChat,
  StreamReactions,
} from './events.js';
import { PlaybackBuffer } from './playback.js';
import { qaBoard, type StreamQa } from './qa.js';
import type { ResolvedOptions } from './options.js';
import { Removals } from './removals.js';
import { isAnnouncement, isChatEvent, type StreamState } from './streams.js';
import { LiveState, isStateEntry, isStateEvent } from './live-state.js';
import type { StateEntry } from '@roar/protocol/core';
// Polls
import { pollOf, type StreamPoll } from './polls.js';

type Held =
  | { type: 'chat'; payload: StreamChat }
  | { type: 'reactions'; payload: StreamReactions }
  | { type: 'announcement'; payload: StreamAnnouncement }
  | { type: 'state'; payload: { stream: string; key: string; entry: StateEntry } }
  | { type: 'stateVersion'; payload: StateVersionMark }
  | { type: 'qa'; payload: StreamQa }
  // Polls
  | { type: 'poll'; payload: StreamPoll };

/** Released after a state event's entries: the version a rejoin may then resume from. */
interface StateVersionMark {
  stream: string;
  target: StreamState;
  version: number;
  snapshot: boolean;
  /** The event's newest write time, so the mark goes out with its last entry. */
  ts: number | undefined;
}

/**
 * Turns the server's `joined` and `batch` frames into the app's events: drops chat messages
 * already delivered (by id, per stream), and holds chat, reactions, announcements and live-state
 * values for
 * playback alignment when it is on. Viewer counts, moderation and settings are never held: the
 * count is "now" whatever the video shows, and a removal must reach messages still held back.
 */
export class Delivery {
  readonly #events: Emitter<RoarClientEvents>;
  readonly #playback: PlaybackBuffer<Held> | undefined;
  readonly #removals: Removals | undefined;
  readonly #isJoined: (stream: string) => boolean;
  readonly #serverNow: () => number;
  /** Each stream's live state, made at its first state event or `RoarClient.liveState()`. */
  readonly #states = new Map<string, LiveState>();
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

  /** The stream's live state (made empty if nothing came yet). */
  liveState(stream: string): LiveState {
    let live = this.#states.get(stream);
    if (!live) this.#states.set(stream, (live = new LiveState(stream)));
    return live;
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
      case 'state':
        return this.#state(state, stream, event);
      // Polls: held like chat, so results never run ahead of the picture.
      case 'poll': {
        const poll = pollOf(event);
        if (poll) this.#deliver({ type: 'poll', payload: { stream, poll } });
        return;
      }
      case 'gap':
        return this.#events.emit('gap', {
          stream,
          reason: 'live',
          missed: typeof event.missed === 'number' ? event.missed : 0,
        });
      case 'qa': {
        const board = qaBoard(stream, event);
        if (board) this.#deliver({ type: 'qa', payload: board });
        return;
      }
      default:
        // Event types from a newer server are skipped, so servers can add them freely.
        return;
    }
  }

  /**
   * A live-state snapshot or update: each key is held by its write time like chat, then a mark
   * records the event's version as what a rejoin resumes from, once every entry before it is
   * applied (held values dropped with a refusal must come again). A snapshot first removes the
   * keys it does not list (when they went is unknown: at once).
   */
  #state(state: StreamState, stream: string, event: unknown): void {
    if (!isStateEvent(event)) return;
    const live = this.liveState(stream);
    if (event.snapshot)
      for (const change of live.retain(event.changes)) this.#events.emit('state', change);
    let ts: number | undefined;
    for (const [key, entry] of Object.entries(event.changes)) {
      if (!isStateEntry(entry)) continue;
      if (ts === undefined || entry.ts > ts) ts = entry.ts;
      this.#deliver({ type: 'state', payload: { stream, key, entry } });
    }
    const { version } = event;
    const snapshot = event.snapshot === true;
    this.#deliver({
      type: 'stateVersion',
      payload: { stream, target: state, version, snapshot, ts },
    });
  }

  #deliver(held: Held): void {
    if (!this.#playback) return this.#release(held);
    // Reactions carry no time of their own: they count from when they arrived.
    const ts =
      held.type === 'reactions'
        ? undefined
        : held.type === 'state'
          ? held.payload.entry.ts
          : held.type === 'stateVersion'
            ? held.payload.ts
            : held.type === 'qa'
              ? held.payload.ts
              : held.type === 'poll'
                ? held.payload.poll.ts
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
      case 'state': {
        const change = this.liveState(stream).apply(held.payload.key, held.payload.entry);
        if (change) this.#events.emit('state', change);
        return;
      }
      case 'stateVersion': {
        const { target, version, snapshot } = held.payload;
        target.stateVersion = snapshot ? version : Math.max(target.stateVersion ?? 0, version);
        return;
      }
      case 'qa':
        return this.#events.emit('qa', held.payload);
      case 'poll':
        return this.#events.emit('poll', held.payload);
    }
  }
}
