import type { AnnouncementEvent, ChatEvent } from '@roar/client';
import { h } from './dom.js';
import { clock } from './format.js';
import { badge } from './roles.js';

/** What a moderator can do from a message's menu. */
export interface MessageActions {
  delete(event: ChatEvent): void;
  pin(event: ChatEvent): void;
  timeout(event: ChatEvent): void;
  ban(event: ChatEvent): void;
}

/** Rows kept on screen; older ones go, so a day-long stream does not grow the page forever. */
const MAX_ROWS = 200;
/** Within this many pixels of the bottom, new messages keep the list scrolled down. */
const STICKY_PX = 48;

/**
 * The chat list. Every message, name and announcement goes in as text (see dom.ts). Rows carry
 * `data-id` and `data-user` so deletions, clears and removed users take them out again.
 */
export class ChatView {
  readonly #list: HTMLOListElement;
  /** Set for moderators: each message then gets a menu of actions. */
  actions: MessageActions | undefined;

  constructor(list: HTMLOListElement) {
    this.#list = list;
    list.replaceChildren();
  }

  add(event: ChatEvent): void {
    if (this.#list.querySelector(`[data-id="${CSS.escape(event.id)}"]`)) return;
    const role = badge(event.user.roles);
    const row = h(
      'li',
      { class: 'msg', attrs: { 'data-id': event.id, 'data-user': event.user.id } },
      h('time', { text: clock(event.ts), attrs: { datetime: new Date(event.ts).toISOString() } }),
      role && h('span', { class: `badge ${role}`, text: role }),
      h('span', { class: 'who', text: event.user.name }),
      h('span', { class: 'text', text: event.text }),
      this.actions && this.#menu(event, this.actions),
    );
    this.#append(row);
  }

  announce(event: AnnouncementEvent): void {
    this.#append(
      h(
        'li',
        { class: 'msg announcement', attrs: { 'data-id': event.id } },
        h('span', { class: 'who', text: 'Announcement' }),
        h('span', { class: 'text', text: event.text }),
      ),
    );
  }

  /** A line from the app itself (a clear, a timeout, a notice). */
  system(text: string): void {
    this.#append(h('li', { class: 'msg system', text }));
  }

  remove(id: string): void {
    this.#list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  }

  /** Takes out a removed user's messages; returns their display name if any were shown. */
  removeUser(userId: string): string | undefined {
    let name: string | undefined;
    for (const row of this.#list.querySelectorAll(`[data-user="${CSS.escape(userId)}"]`)) {
      name ??= row.querySelector('.who')?.textContent ?? undefined;
      row.remove();
    }
    return name;
  }

  clear(): void {
    this.#list.replaceChildren();
  }

  #menu(event: ChatEvent, actions: MessageActions): HTMLElement {
    const item = (action: keyof MessageActions, label: string) =>
      h('button', {
        text: label,
        attrs: { type: 'button', 'data-action': action },
        on: {
          click: (e) => {
            (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
            actions[action](event);
          },
        },
      });
    return h(
      'details',
      { class: 'menu' },
      h('summary', { text: '⋯', attrs: { 'aria-label': 'Moderate this message' } }),
      h(
        'div',
        { class: 'menu-items' },
        item('delete', 'Delete'),
        item('pin', 'Pin'),
        item('timeout', 'Time out 10 min'),
        item('ban', 'Ban'),
      ),
    );
  }

  #append(row: HTMLElement): void {
    const list = this.#list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
    list.append(row);
    // One row in, at most one row over the cap: one out.
    if (list.childElementCount > MAX_ROWS) list.firstElementChild?.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
}
