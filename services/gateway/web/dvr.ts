import type { ChatEvent, RoarClient } from '@roar/client';
import { replay, type Replay } from '@roar/client/replay';
import type { ChatView } from './chat-view.js';

/** Live messages kept while the view shows a replay, to put back on "Live". */
const KEEP_LIVE = 50;

/**
 * The player's DVR slider: seconds behind the live edge (0 = live). Dragged back, the chat view
 * shows the replay of that moment (`replay()` of `@roar/client/replay`, playing on from there as time passes);
 * dragged back again it seeks; at 0 (or "Live") it shows the live chat again. The page has no
 * video: the slider stands in for the player's position, `serverNow() − behind`.
 */
export class Dvr {
  readonly #label: HTMLElement;
  readonly #client: RoarClient;
  readonly #stream: string;
  readonly #chat: ChatView;
  readonly #live: ChatEvent[] = [];
  #replay: Replay | undefined;
  /** How far behind live the player is (ms). */
  #behindMs = 0;

  constructor(
    parts: { slider: HTMLInputElement; label: HTMLElement; live: HTMLButtonElement },
    client: RoarClient,
    stream: string,
    chat: ChatView,
  ) {
    this.#label = parts.label;
    this.#client = client;
    this.#stream = stream;
    this.#chat = chat;
    parts.slider.hidden = false;
    parts.live.hidden = false;
    parts.slider.value = '0';
    parts.slider.oninput = () => this.#moved(-Number(parts.slider.value) * 1000);
    parts.live.onclick = () => {
      parts.slider.value = '0';
      this.#moved(0);
    };
    this.#show();
  }

  /** A live chat message: shown at once when live, kept for later while replaying. */
  live(event: ChatEvent): boolean {
    this.#live.push(event);
    if (this.#live.length > KEEP_LIVE) this.#live.shift();
    return this.#replay === undefined;
  }

  stop(): void {
    this.#replay?.stop();
    this.#replay = undefined;
  }

  #moved(behindMs: number): void {
    this.#behindMs = behindMs;
    this.#show();
    if (behindMs > 0 && !this.#replay) {
      this.#chat.clear();
      this.#replay = replay(this.#client, this.#stream, {
        position: () => this.#client.serverNow() - this.#behindMs,
      });
      this.#replay.on('seek', () => this.#chat.clear());
      this.#replay.on('chat', (e) => this.#chat.add(e.event));
    } else if (behindMs === 0 && this.#replay) {
      this.stop();
      this.#chat.clear();
      for (const event of this.#live) this.#chat.add(event);
    }
  }

  #show(): void {
    const s = Math.round(this.#behindMs / 1000);
    this.#label.textContent =
      s === 0 ? 'LIVE' : `−${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    this.#label.dataset.live = String(s === 0);
  }
}
