import type {
  AnnouncementEvent,
  ChatEvent,
  PublicSettings,
  ViewerCount,
  WelcomeMessage,
  JoinedMessage,
} from '@roar/protocol/core';
import type { RoarClientError } from './errors.js';

/** Where the connection is. `open` means the server welcomed the client, not just a socket. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A change of connection state; `closeCode` says what ended the previous connection. */
export interface StatusChange {
  state: ConnectionState;
  /** For `reconnecting`: 1 for the first retry after a drop, then 2, 3... */
  attempt?: number;
  /** The close code that ended the previous connection, when there was one. */
  closeCode?: number;
  /** For `reconnecting`: how long the client waits before dialling again. */
  delayMs?: number;
  /**
   * For `reconnecting`: the client holds a place in the server's admission queue ("joining,
   * position ~N"); `delayMs` is the server's come-back time for it.
   */
  position?: number;
}

/**
 * A stream was joined, first or again after a reconnect: the server's `joined` reply. `history`
 * holds only messages the client had not delivered yet; later rule changes and pins arrive as
 * `settings` and `pin` events.
 */
export type StreamJoined = Omit<JoinedMessage, 'type' | 'ref'>;

/** One chat message, delivered once per stream, in the order the server sent it. */
export interface StreamChat {
  stream: string;
  event: ChatEvent;
}

/** One aggregation window of reactions on a stream: a burst, not one event per tap. */
export interface StreamReactions {
  stream: string;
  /** Taps per emoji over one window, summed over every viewer. */
  counts: Record<string, number>;
  windowMs: number;
}

/** A stream's viewer count, delivered as soon as it arrives (never held for playback). */
export interface StreamViewers {
  stream: string;
  viewers: ViewerCount;
}

/**
 * Chat messages of a stream were missed and will not arrive: the app can say "some messages are
 * missing" where the hole is. `resume`: a rejoin after a reconnect could not give every message
 * after the last one seen (too old for the window, or the server's history has a hole). `live`:
 * the server missed messages while this client stayed connected (it stalled, or lost its
 * broker) and could not recover them from history.
 */
export interface StreamGap {
  stream: string;
  reason: 'resume' | 'live';
  /** For `live`: how many messages are known to be missing (0: unknown, at least one may be). */
  missed?: number;
}

/** A moderator removed one message: remove it from view (it may not have been shown yet). */
export interface StreamDelete {
  stream: string;
  /** The chat message's id. */
  id: string;
}

/** A moderator cleared the chat: remove every message of the stream shown so far. */
export interface StreamClear {
  stream: string;
}

/** The pinned message changed; null when it was unpinned. */
export interface StreamPin {
  stream: string;
  message: ChatEvent | null;
}

/** A system message from the broadcaster or the platform (a score, a poll link). */
export interface StreamAnnouncement {
  stream: string;
  event: AnnouncementEvent;
}

/** A user was timed out or banned: hide their messages. */
export interface StreamUserRemoved {
  stream: string;
  userId: string;
  /** When a timeout ends (ms since the epoch, server clock), or null for a ban. */
  until: number | null;
}

/** The stream's chat rules changed (what the send box should allow). */
export interface StreamSettings {
  stream: string;
  settings: PublicSettings;
}

/**
 * How much of a stream's chat this client receives, when that changes: below 1 the server is
 * sampling (a chat faster than anyone can read); priority messages and the client's own are
 * always delivered. Emitted on the first batch that says so, and when it returns to 1.
 */
export interface StreamSampling {
  stream: string;
  /** Fraction of the stream's chat delivered lately, e.g. 0.2; 1 when nothing is left out. */
  fraction: number;
}

/**
 * The server's degradation level (0 normal ... 5 admission closed) and what it turns off, e.g.
 * "chat is read-only". Sent at the welcome when not 0, and whenever it changes.
 */
export interface ServerDegradation {
  level: number;
  text: string;
}

/**
 * Every event `RoarClient.on` delivers, by name. Chat, reactions and announcements are held for
 * playback alignment when it is on; everything else is delivered as it arrives. The features'
 * events (polls, Q&A, live state) come from their own entries' objects.
 */
export interface RoarClientEvents {
  status: StatusChange;
  welcome: WelcomeMessage;
  joined: StreamJoined;
  chat: StreamChat;
  reactions: StreamReactions;
  viewers: StreamViewers;
  error: RoarClientError;
  gap: StreamGap;
  delete: StreamDelete;
  clear: StreamClear;
  pin: StreamPin;
  announcement: StreamAnnouncement;
  user_removed: StreamUserRemoved;
  settings: StreamSettings;
  sampling: StreamSampling;
  degradation: ServerDegradation;
}

/** A listener for one event type; what it throws is reported, not passed to the client. */
export type Listener<T> = (event: T) => void;

/**
 * A typed event emitter. Listeners run synchronously in the order they were added; one that throws
 * does not stop the others or the client (the error is rethrown on a later task, as EventTarget
 * reports it), because a bug in app code must not corrupt the connection's state.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    // Stored under `never` so one map holds every event type; `emit` restores the type by key.
    const stored = listener as Listener<never>;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.#listeners.get(type);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(event);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
