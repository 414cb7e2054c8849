import type { PollEvent } from '@roar/client/polls';
import { h } from './dom.js';

const STATE_TEXT: Record<PollEvent['state'], string> = {
  open: 'Voting open',
  counting: 'Voting closed · counting the last votes',
  closed: 'Final result',
};

/**
 * The stream's poll: the question, one bar per answer (its width the answer's share, its label
 * the rounded percentage) and the total, as the server sends them at most once per results
 * window. Signed-in viewers (or anyone, on an anonymous poll) vote by clicking an answer while
 * it is open; their choice is marked. A quiz's right answer is marked once it closes.
 */
export class PollView {
  readonly #root: HTMLElement;
  readonly #vote: (poll: string, option: number) => Promise<boolean>;
  #signedIn = false;
  /** Poll id → the answer this viewer picked. */
  readonly #mine = new Map<string, number>();
  #last: PollEvent | undefined;

  constructor(root: HTMLElement, vote: (poll: string, option: number) => Promise<boolean>) {
    this.#root = root;
    this.#vote = vote;
    root.hidden = true;
  }

  signedIn(yes: boolean): void {
    this.#signedIn = yes;
    if (this.#last) this.show(this.#last);
  }

  show(poll: PollEvent): void {
    this.#last = poll;
    const canVote = poll.state === 'open' && (this.#signedIn || poll.anonymous);
    const mine = this.#mine.get(poll.id);
    const rows = poll.options.map((text, i) => {
      const percent = poll.percents[i] ?? 0;
      const classes = ['poll-option'];
      if (mine === i) classes.push('mine');
      if (poll.correct === i) classes.push('correct');
      return h(
        'button',
        {
          class: classes.join(' '),
          attrs: {
            type: 'button',
            'data-option': String(i),
            'aria-label': `${text}: ${percent}%`,
            ...(canVote ? {} : { disabled: '' }),
          },
          on: { click: () => this.#pick(poll.id, i) },
        },
        h('span', { class: 'poll-bar', attrs: { style: `width: ${percent}%` } }),
        h('span', { class: 'poll-text', text }),
        h('span', { class: 'poll-percent', text: `${percent}%` }),
      );
    });
    this.#root.replaceChildren(
      h('h3', { class: 'poll-question', text: poll.question }),
      ...rows,
      h('p', {
        class: 'poll-meta',
        text: `${poll.text} · ${STATE_TEXT[poll.state]}`,
        attrs: { 'data-state': poll.state },
      }),
    );
    this.#root.dataset.poll = poll.id;
    this.#root.hidden = false;
  }

  async #pick(poll: string, option: number): Promise<void> {
    if (await this.#vote(poll, option)) {
      this.#mine.set(poll, option);
      if (this.#last?.id === poll) this.show(this.#last);
    }
  }
}
