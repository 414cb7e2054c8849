import type { PollSpec } from '@roar/client/polls';
import { h } from './dom.js';

export interface PollCommands {
  open(spec: PollSpec): Promise<string>;
  close(poll: string): Promise<void>;
}

/**
 * The moderator console's poll panel: open a poll (a question, 2–6 answers one per line, an
 * optional duration and a quiz answer) and close the open one early. Commands go over the
 * WebSocket (`poll`), with the same rights and audit as the admin API.
 */
export class PollConsole {
  readonly element: HTMLElement;
  readonly #commands: PollCommands;
  readonly #status = h('p', { class: 'poll-status', attrs: { role: 'status' } });
  readonly #close = h('button', {
    text: 'Close poll',
    attrs: { type: 'button', 'data-action': 'close-poll', disabled: '' },
  });
  #open: string | undefined;

  constructor(commands: PollCommands) {
    this.#commands = commands;
    const question = h('input', {
      attrs: { name: 'question', placeholder: 'Question', maxlength: '200', required: '' },
    });
    const options = h('textarea', {
      attrs: { name: 'options', placeholder: 'Answers, one per line (2-6)', rows: '3' },
    });
    const duration = h('input', {
      attrs: { name: 'duration', type: 'number', min: '5', max: '86400', placeholder: 'Seconds' },
    });
    const correct = h('input', {
      attrs: { name: 'correct', type: 'number', min: '1', max: '6', placeholder: 'Quiz answer #' },
    });
    this.#close.addEventListener('click', () => void this.#closePoll());
    this.element = h(
      'section',
      { class: 'poll-console' },
      h('h3', { text: 'Poll' }),
      h(
        'form',
        {
          class: 'poll-open',
          on: {
            submit: (e) => {
              e.preventDefault();
              const answers = options.value
                .split('\n')
                .map((line) => line.trim())
                .filter((line) => line !== '');
              const spec: PollSpec = { question: question.value.trim(), options: answers };
              if (duration.value) spec.durationS = Number(duration.value);
              if (correct.value) spec.correct = Number(correct.value) - 1;
              void this.#openPoll(spec);
            },
          },
        },
        question,
        options,
        h('div', { class: 'poll-open-row' }, duration, correct),
        h('button', { text: 'Open poll', attrs: { type: 'submit' } }),
        this.#close,
      ),
      this.#status,
    );
  }

  /** The stream's poll as viewers see it: the close button follows whether it is open. */
  seen(poll: string, open: boolean): void {
    this.#open = open ? poll : undefined;
    this.#close.disabled = !open;
  }

  async #openPoll(spec: PollSpec): Promise<void> {
    try {
      const id = await this.#commands.open(spec);
      this.seen(id, true);
      this.#status.textContent = 'Poll opened';
    } catch (error) {
      this.#status.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  async #closePoll(): Promise<void> {
    const poll = this.#open;
    if (poll === undefined) return;
    try {
      await this.#commands.close(poll);
      this.seen(poll, false);
      this.#status.textContent = 'Poll closed';
    } catch (error) {
      this.#status.textContent = error instanceof Error ? error.message : String(error);
    }
  }
}
