import type { ChatEvent, PublicSettings, StatusChange } from '@roar/client';
import { byId, h, show } from './dom.js';

/**
 * The page's status lines: the connection, the live count, the degradation banner, the "chat is
 * sampled" indicator, the pinned message and the chat rules in force.
 */
export class StatusView {
  readonly #conn = byId('conn');
  readonly #count = byId('count');
  readonly #banner = byId('banner');
  readonly #sampled = byId('sampled');
  readonly #pinned = byId('pinned');
  readonly #rules = byId('rules');

  connection(change: StatusChange, transport: string | undefined): void {
    this.#conn.dataset.state = change.state;
    switch (change.state) {
      case 'connecting':
        this.#conn.textContent = 'connecting…';
        return;
      case 'open':
        this.#conn.textContent = `live · ${transport ?? 'connected'}`;
        return;
      case 'reconnecting': {
        const s = ((change.delayMs ?? 0) / 1000).toFixed(1);
        // A place in the gateway's admission queue (a storm at the toss): say so, not "retry".
        this.#conn.textContent =
          change.position !== undefined
            ? `joining, position ~${change.position.toLocaleString()} (in ${s} s)`
            : `reconnecting in ${s} s (attempt ${change.attempt ?? 1})`;
        return;
      }
      case 'closed':
        this.#conn.textContent = change.closeCode ? `closed (${change.closeCode})` : 'closed';
        return;
    }
  }

  count(text: string): void {
    this.#count.textContent = text;
  }

  /** Degradation level 0 hides the banner; above it says what is turned off. */
  degradation(level: number, text: string): void {
    this.#banner.dataset.level = String(level);
    this.#banner.textContent = `Heavy load (level ${level}): ${text}`;
    show(this.#banner, level > 0);
  }

  sampling(fraction: number): void {
    const percent = Math.max(1, Math.round(fraction * 100));
    this.#sampled.textContent = `Chat is sampled: you see about ${percent}% of messages`;
    show(this.#sampled, fraction < 1);
  }

  /** `unpin` is given to moderators: the pin gets a button that removes it. */
  pinned(message: ChatEvent | null, unpin: (() => void) | undefined): void {
    if (!message) {
      this.#pinned.replaceChildren();
      show(this.#pinned, false);
      return;
    }
    this.#pinned.replaceChildren(
      h('span', { class: 'pin-mark', text: 'Pinned' }),
      h('span', { class: 'who', text: message.user.name }),
      h('span', { class: 'text', text: message.text }),
    );
    if (unpin) {
      this.#pinned.append(
        h('button', { text: 'Unpin', attrs: { type: 'button' }, on: { click: () => unpin() } }),
      );
    }
    this.#pinned.dataset.id = message.id;
    show(this.#pinned, true);
  }

  /** What the send box allows, in words. */
  rules(settings: PublicSettings): void {
    const notes: string[] = [];
    if (!settings.chatEnabled) notes.push('chat is off');
    if (settings.slowModeS > 0) notes.push(`slow mode: one message every ${settings.slowModeS} s`);
    if (settings.emoteOnly) notes.push('emote-only');
    if (settings.subscribersOnly) notes.push('subscribers only');
    if (settings.followersOnly) notes.push('followers only');
    if (settings.uniqueChat) notes.push('no repeated messages');
    if (settings.links !== 'allow') notes.push(`links: ${settings.links}`);
    this.#rules.textContent = notes.join(' · ');
  }

  reset(): void {
    this.count('');
    this.degradation(0, 'normal');
    this.sampling(1);
    this.pinned(null, undefined);
    this.#rules.textContent = '';
  }
}
