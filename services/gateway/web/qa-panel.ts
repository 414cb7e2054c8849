import { RoarClientError } from '@roar/client';
import type { Qa, QaAction, QaQuestion, StreamQa } from '@roar/client/qa';
import { h } from './dom.js';

/**
 * The Q&A panel (issue 14): the board the server sends (the top questions, most upvoted first,
 * and the picked one highlighted), an ask box and upvote buttons for signed-in viewers, the
 * viewer's own questions (shown from the ask's reply at once, before the board has them), and
 * for moderators the console's Q&A controls: open, close, and pick, answer or hide a question,
 * sent as moderator commands over the WebSocket.
 */
export class QaPanel {
  readonly #root: HTMLElement;
  readonly #qa: Qa;
  readonly #stream: string;
  readonly #status = h('p', { class: 'qa-status', attrs: { id: 'qa-status' } });
  readonly #picked = h('div', { class: 'qa-picked', attrs: { id: 'qa-picked' } });
  readonly #list = h('ol', { class: 'qa-list', attrs: { id: 'qa-list' } });
  readonly #mine = h('ul', { class: 'qa-mine', attrs: { id: 'qa-mine' } });
  readonly #notice = h('p', { class: 'qa-notice', attrs: { id: 'qa-notice', role: 'status' } });
  readonly #input = h('input', {
    attrs: { id: 'qa-text', maxlength: '300', placeholder: 'Ask a question', autocomplete: 'off' },
  });
  readonly #form: HTMLFormElement;
  readonly #controls: HTMLElement;
  /** The viewer's own questions by id: text from the ask, upvotes from the latest board. */
  readonly #own = new Map<string, { text: string; upvotes: number | undefined }>();
  #board: StreamQa | undefined;
  #signedIn = false;
  #moderator = false;

  constructor(root: HTMLElement, qa: Qa, stream: string) {
    this.#root = root;
    this.#qa = qa;
    this.#stream = stream;
    this.#form = h(
      'form',
      { class: 'qa-ask', on: { submit: (e) => (e.preventDefault(), void this.#ask()) } },
      this.#input,
      h('button', { text: 'Ask', attrs: { type: 'submit', id: 'qa-send' } }),
    );
    this.#controls = h(
      'div',
      { class: 'qa-controls', attrs: { id: 'qa-controls' } },
      this.#button('Open Q&A', 'qa-open', { type: 'open' }),
      this.#button('Close Q&A', 'qa-close', { type: 'close' }),
    );
    root.replaceChildren(
      h('h2', { text: 'Q&A' }),
      this.#status,
      this.#controls,
      this.#picked,
      this.#list,
      this.#form,
      h('h3', { text: 'Your questions' }),
      this.#mine,
      this.#notice,
    );
    this.#render();
  }

  /** Who the server says the user is: signed-in users ask and upvote; moderators get controls. */
  user(signedIn: boolean, moderator: boolean): void {
    this.#signedIn = signedIn;
    this.#moderator = moderator;
    this.#render();
  }

  /** The stream was joined (again): the user's own questions come from the server, so they
   * survive a reload or a second device. */
  joined(): void {
    if (!this.#signedIn) return;
    this.#qa
      .mine(this.#stream)
      .then((questions) => {
        for (const q of [...questions].reverse())
          this.#own.set(q.id, { text: q.text, upvotes: q.upvotes });
        this.#render();
      })
      .catch((error: unknown) => this.#refused(error));
  }

  /** A board from the server: each replaces the one before (the server keeps them in order). */
  board(board: StreamQa): void {
    this.#board = board;
    for (const q of [...board.top, ...(board.picked ? [board.picked] : [])]) {
      const own = this.#own.get(q.id);
      if (own) own.upvotes = q.upvotes;
    }
    this.#render();
  }

  async #ask(): Promise<void> {
    const text = this.#input.value.trim();
    if (text === '') return;
    try {
      const sent = await this.#qa.ask(this.#stream, text);
      this.#own.set(sent.id, { text, upvotes: undefined });
      this.#input.value = '';
      this.#say(sent.held ? 'Your question waits for a moderator.' : 'Question sent.');
      this.#render();
    } catch (error) {
      this.#refused(error);
    }
  }

  #run(action: QaAction): void {
    this.#qa.moderate(this.#stream, action).catch((error: unknown) => this.#refused(error));
  }

  #button(text: string, id: string, action: QaAction): HTMLButtonElement {
    return h('button', {
      text,
      attrs: { type: 'button', id },
      on: { click: () => this.#run(action) },
    });
  }

  #refused(error: unknown): void {
    if (error instanceof RoarClientError && error.code === 'rate_limited' && error.retryAfterMs)
      return this.#say(
        `One question at a time: try again in ${Math.ceil(error.retryAfterMs / 1000)} s.`,
      );
    this.#say(error instanceof Error ? error.message : String(error));
  }

  #say(text: string): void {
    this.#notice.textContent = text;
  }

  #render(): void {
    const b = this.#board;
    const open = b?.open === true;
    this.#root.hidden = !b && !this.#moderator;
    this.#status.textContent =
      !b || b.rev === 0 ? 'No Q&A yet.' : open ? 'Q&A is open.' : 'Q&A is closed.';
    this.#controls.hidden = !this.#moderator;
    this.#form.hidden = !(this.#signedIn && open);
    this.#picked.replaceChildren(
      ...(b?.picked
        ? [h('span', { class: 'pin-mark', text: 'Now answering' }), this.#item(b.picked, true)]
        : []),
    );
    this.#picked.hidden = !b?.picked;
    this.#list.replaceChildren(...(b?.top ?? []).map((q) => h('li', {}, this.#item(q, false))));
    this.#mine.replaceChildren(
      ...[...this.#own].map(([id, q]) =>
        h(
          'li',
          { attrs: { 'data-id': id } },
          q.text,
          q.upvotes === undefined ? ' (sent)' : ` (${q.upvotes} ▲)`,
        ),
      ),
    );
  }

  #item(q: QaQuestion, picked: boolean): HTMLElement {
    const own = this.#own.has(q.id);
    const canVote = this.#signedIn && !own && this.#board?.open === true && !picked;
    return h(
      'div',
      { class: picked ? 'qa-q qa-q-picked' : 'qa-q', attrs: { 'data-id': q.id } },
      h('span', { class: 'qa-votes', text: String(q.upvotes) }),
      canVote &&
        h('button', {
          text: '▲',
          class: 'qa-up',
          attrs: { type: 'button', 'aria-label': 'Upvote' },
          on: {
            click: () =>
              void this.#qa.upvote(this.#stream, q.id).catch((e: unknown) => this.#refused(e)),
          },
        }),
      h('span', { class: 'qa-text', text: q.text }),
      h('span', { class: 'qa-who', text: q.user.name }),
      this.#moderator &&
        !picked &&
        this.#button('Pick', `qa-pick-${q.id}`, { type: 'pick', id: q.id }),
      this.#moderator &&
        this.#button('Answered', `qa-answer-${q.id}`, { type: 'answer', id: q.id }),
      this.#moderator && this.#button('Hide', `qa-hide-${q.id}`, { type: 'hide', id: q.id }),
    );
  }
}
