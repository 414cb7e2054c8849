import type { AnnouncementEvent, ChatEvent, JoinedMessage } from '@roar/protocol/core';
import type { Deferred } from './deferred.js';
import { RecentIds } from './recent-ids.js';

/**
 * One stream the app has joined: kept across reconnects, so the client can rejoin it and resume
 * from the last message it saw, until the app leaves it or the server refuses it.
 */
export class StreamState {
  readonly name: string;
  /** The newest chat id received, sent as `since` when rejoining. */
  lastChatId: string | undefined;
  /** The `joined` reply on the current connection; undefined until it arrives. */
  joined: JoinedMessage | undefined;
  /** The ref of the join request in flight on the current connection. */
  joinRef: number | undefined;
  /** The live-state version received (sent as `stateVersion` when rejoining). */
  stateVersion: number | undefined;
  /** The fraction of chat the last batch said was delivered (1: not sampled). */
  sampling = 1;
  /** The app's `join()` promise, while it waits for a `joined`. */
  waiter: Deferred<JoinedMessage> | undefined;
  readonly #seen: RecentIds;

  constructor(name: string, dedupeWindow: number) {
    this.name = name;
    this.#seen = new RecentIds(dedupeWindow);
  }

  /** Records a received chat message; false when it was delivered already (a duplicate). */
  accept(event: ChatEvent): boolean {
    if (!this.#seen.add(event.id)) return false;
    this.lastChatId = event.id;
    return true;
  }

  /** Settles the app's pending `join()`, if any. */
  settle(result: { joined: JoinedMessage } | { error: unknown }): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (!waiter) return;
    if ('joined' in result) waiter.resolve(result.joined);
    else waiter.reject(result.error);
  }
}

/** The server is trusted, but a malformed event must not take the client down with it. */
export function isChatEvent(value: unknown): value is ChatEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof ChatEvent, unknown>>;
  return (
    e.type === 'chat' &&
    typeof e.id === 'string' &&
    typeof e.ts === 'number' &&
    typeof e.text === 'string' &&
    typeof e.user === 'object' &&
    e.user !== null
  );
}

export function isAnnouncement(value: unknown): value is AnnouncementEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<Record<keyof AnnouncementEvent, unknown>>;
  return (
    e.type === 'announcement' &&
    typeof e.id === 'string' &&
    typeof e.ts === 'number' &&
    typeof e.text === 'string'
  );
}
