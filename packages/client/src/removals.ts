import type { ChatEvent } from '@roar/protocol/core';
import { RecentIds } from './recent-ids.js';

/** Deleted ids and removed users remembered; more than a playback delay can hold back. */
const CAPACITY = 1_000;

/**
 * What moderators removed while chat was held back for playback alignment, so that a message
 * deleted (or cleared, or from a user timed out) before the player reached it is never shown.
 * Without alignment nothing is held and the app's own `delete`/`clear` handling is enough.
 */
export class Removals {
  readonly #deleted = new RecentIds(CAPACITY);
  /** Server time of the last clear, per stream: messages up to then are gone. */
  readonly #clearedAt = new Map<string, number>();
  /** Server time a user was removed, per stream and user: their messages up to then are gone. */
  readonly #usersAt = new Map<string, number>();

  deleted(id: string): void {
    this.#deleted.add(id);
  }

  cleared(stream: string, serverNow: number): void {
    this.#clearedAt.set(stream, serverNow);
  }

  userRemoved(stream: string, userId: string, serverNow: number): void {
    const key = `${stream}\n${userId}`;
    // Re-inserted so the Map's insertion order is the eviction order.
    this.#usersAt.delete(key);
    this.#usersAt.set(key, serverNow);
    if (this.#usersAt.size > CAPACITY) {
      const oldest = this.#usersAt.keys().next().value;
      if (oldest !== undefined) this.#usersAt.delete(oldest);
    }
  }

  /** True when a moderator removed `event` after it arrived. */
  hides(stream: string, event: ChatEvent): boolean {
    if (this.#deleted.has(event.id)) return true;
    const clearedAt = this.#clearedAt.get(stream);
    if (clearedAt !== undefined && event.ts <= clearedAt) return true;
    const removedAt = this.#usersAt.get(`${stream}\n${event.user.id}`);
    return removedAt !== undefined && event.ts <= removedAt;
  }

  /** Forgets a stream's clear; deleted ids and users age out by themselves. */
  forget(stream: string): void {
    this.#clearedAt.delete(stream);
  }
}
