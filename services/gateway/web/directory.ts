import type { ChatEvent, UserRef } from '@roar/client';

/** Users and messages remembered; the oldest are forgotten past this. */
const MAX_ENTRIES = 2_000;

/**
 * Names and texts this page has seen (chat, history, held messages, the welcome), so the ids the
 * admin API returns (audit log, bans) read as people and messages. An id never seen stays an id.
 */
export class Directory {
  readonly #users = new Map<string, string>();
  readonly #messages = new Map<string, { text: string; userId: string }>();

  user(user: Pick<UserRef, 'id' | 'name'>): void {
    remember(this.#users, user.id, user.name);
  }

  message(event: Pick<ChatEvent, 'id' | 'text' | 'user'>): void {
    this.user(event.user);
    remember(this.#messages, event.id, { text: event.text, userId: event.user.id });
  }

  /** The user's display name, or the id when this page never saw them. */
  userName(id: string): string {
    return this.#users.get(id) ?? id;
  }

  /** `“text” by Name` for a message seen here, else undefined. */
  messageText(id: string): string | undefined {
    const m = this.#messages.get(id);
    return m && `“${m.text}” by ${this.userName(m.userId)}`;
  }

  /** An audit target: a message's text and author, a user's name, or the id as it came. */
  target(id: string): string {
    return this.messageText(id) ?? this.userName(id);
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as string);
}
