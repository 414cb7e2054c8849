import { RoarClientError, type PublicSettings, type RoarClient } from '@roar/client';
import { byId } from './dom.js';

/**
 * The send box: enabled once the user may chat in the joined stream, limited to the stream's
 * maximum length, and saying in the notice line what happened to each message (held for a
 * moderator, refused by a rule, rate limited).
 */
export class Composer {
  readonly #form = byId<HTMLFormElement>('composer');
  readonly #text = byId<HTMLInputElement>('text');
  readonly #send = byId<HTMLButtonElement>('send');
  readonly #notice = byId('notice');
  readonly #client: RoarClient;
  readonly #stream: string;
  #signedIn = false;
  #joined = false;
  #chatEnabled = true;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: RoarClient, stream: string) {
    this.#client = client;
    this.#stream = stream;
    this.#form.onsubmit = (e) => {
      e.preventDefault();
      void this.#submit();
    };
    this.notice('');
    this.#update();
  }

  signedIn(yes: boolean): void {
    this.#signedIn = yes;
    this.#update();
  }

  joined(yes: boolean): void {
    this.#joined = yes;
    this.#update();
  }

  rules(settings: PublicSettings): void {
    this.#chatEnabled = settings.chatEnabled;
    this.#text.maxLength = settings.maxLength;
    this.#text.placeholder = settings.emoteOnly ? 'Emotes only' : 'Say something';
    this.#update();
  }

  /** Shows `text` in the notice line; with `forMs`, only until that time has passed. */
  notice(text: string, forMs?: number): void {
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = undefined;
    this.#notice.textContent = text;
    if (forMs !== undefined) this.#noticeTimer = setTimeout(() => this.notice(''), forMs);
  }

  /** A refusal in words; "try again in 1 s" goes away once that second has passed. */
  error(error: Error): void {
    const retryMs =
      error instanceof RoarClientError && error.code === 'rate_limited'
        ? error.retryAfterMs
        : undefined;
    this.notice(describe(error), retryMs);
  }

  stop(): void {
    this.notice('');
    this.#form.onsubmit = null;
    this.#signedIn = false;
    this.#update();
  }

  #update(): void {
    const usable = this.#signedIn && this.#joined && this.#chatEnabled;
    this.#text.disabled = this.#send.disabled = !usable;
    if (!this.#signedIn) this.#text.placeholder = 'Watching anonymously: join with a name to chat';
  }

  async #submit(): Promise<void> {
    const text = this.#text.value.trim();
    if (!text) return;
    try {
      const sent = await this.#client.sendChat(this.#stream, text);
      this.#text.value = '';
      this.notice(sent.held ? 'Your message is waiting for a moderator.' : '');
    } catch (error) {
      if (error instanceof Error) this.error(error);
      else this.notice(describe(error));
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof RoarClientError)) return `Not sent: ${String(error)}`;
  if (error.code === 'rate_limited' && error.retryAfterMs !== undefined) {
    return `Slow down: try again in ${Math.ceil(error.retryAfterMs / 1000)} s.`;
  }
  return `Not sent (${error.code}): ${error.message}`;
}
