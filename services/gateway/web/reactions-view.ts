import { h } from './dom.js';

/** Floating emoji per emoji per burst: a storm of taps still draws a handful, not thousands. */
const MAX_PER_EMOJI = 8;
/** Floating emoji on screen at once, over every burst. */
const MAX_ON_SCREEN = 60;

/**
 * The reaction buttons and the bursts. The server sends one aggregated burst per window
 * (`{🔥: 48211}`), never one event per tap, so each burst draws a few floating emoji scaled to
 * its size and adds to the running tally on the button.
 */
export class ReactionsView {
  readonly #bar: HTMLElement;
  readonly #layer: HTMLElement;
  readonly #send: (emoji: string) => void;
  readonly #tally = new Map<string, number>();
  #enabled = false;
  #signedIn = false;

  constructor(bar: HTMLElement, layer: HTMLElement, send: (emoji: string) => void) {
    this.#bar = bar;
    this.#layer = layer;
    this.#send = send;
    this.#update();
  }

  /** The stream's emoji (from the join, or a settings change); `enabled` false hides them. */
  setEmoji(emoji: readonly string[], enabled: boolean): void {
    this.#enabled = enabled;
    this.#update();
    this.#bar.replaceChildren(
      ...emoji.map((e) =>
        h(
          'button',
          {
            class: 'reaction',
            attrs: { type: 'button', 'data-emoji': e, 'aria-label': `React ${e}` },
            on: { click: () => this.#send(e) },
          },
          h('span', { text: e }),
          h('span', { class: 'tally', text: tallyText(this.#tally.get(e)) }),
        ),
      ),
    );
  }

  /** Only signed-in users may react: anonymous viewers see the bursts but get no buttons. */
  signedIn(yes: boolean): void {
    this.#signedIn = yes;
    this.#update();
  }

  #update(): void {
    this.#bar.hidden = !(this.#enabled && this.#signedIn);
  }

  burst(counts: Record<string, number>): void {
    for (const [emoji, n] of Object.entries(counts)) {
      if (!(n > 0)) continue;
      const total = (this.#tally.get(emoji) ?? 0) + n;
      this.#tally.set(emoji, total);
      const tally = this.#bar.querySelector(`[data-emoji="${CSS.escape(emoji)}"] .tally`);
      if (tally) tally.textContent = tallyText(total);
      // Roughly logarithmic: 1 tap draws 1, 10 draw 4, 1,000 draw the cap.
      const draw = Math.min(MAX_PER_EMOJI, 1 + Math.floor(Math.log2(n)));
      for (let i = 0; i < draw; i++) this.#float(emoji, i);
    }
  }

  #float(emoji: string, i: number): void {
    if (this.#layer.childElementCount >= MAX_ON_SCREEN) return;
    const el = h('span', { class: 'burst', text: emoji });
    el.style.left = `${10 + Math.random() * 80}%`;
    el.style.animationDelay = `${i * 90}ms`;
    // Removed when its animation ends, not on a timer: it lives exactly as long as it shows.
    el.addEventListener('animationend', () => el.remove());
    this.#layer.append(el);
  }
}

function tallyText(n: number | undefined): string {
  if (!n) return '';
  return new Intl.NumberFormat(undefined, { notation: 'compact' }).format(n);
}
