import type { LiveState } from '@roar/client/live-state';
import { h } from './dom.js';

/**
 * The live widgets of the stream (its live state: a score, the current over), one row per key,
 * updated from the SDK's live map after playback alignment. Hidden while the state is empty.
 */
export class ScoreWidget {
  readonly #root: HTMLElement;
  readonly #live: LiveState;
  readonly #stop: () => void;

  constructor(root: HTMLElement, live: LiveState) {
    this.#root = root;
    this.#live = live;
    this.#stop = live.on('change', () => this.#render());
    this.#render();
  }

  stop(): void {
    this.#stop();
    this.#root.replaceChildren();
    this.#root.hidden = true;
  }

  #render(): void {
    const rows = this.#live.keys
      .sort()
      .map((key) =>
        h(
          'div',
          { class: 'widget-row', attrs: { 'data-key': key } },
          h('span', { class: 'widget-key', text: key }),
          h('strong', { class: 'widget-value', text: show(this.#live.get(key)) }),
        ),
      );
    this.#root.replaceChildren(...rows);
    this.#root.hidden = rows.length === 0;
  }
}

/** A value as one line: strings as they are, anything else as compact JSON. */
export function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
