import { anonId } from './anon-id.js';
import { LiveViewers } from './live.js';

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `<roar-widget stream="final-2026" key="score">`: shows one key of a stream's live state (live
 * widgets: the score, the current over) as text, and nothing else. Attributes: `stream` and `key`
 * (required), `server` (as for `<roar-viewers>`), `delay` (ms to hold each change, to match the
 * player's delay: no spoilers; default 0). Hidden while the key has no value; fires `change`
 * with `detail.value`. One anonymous WebSocket, like `<roar-viewers>` in live mode; it reads the
 * snapshot sent on every (re)join and the changes after it, newest version per key winning.
 */
export class RoarWidgetElement extends HTMLElement {
  static readonly observedAttributes = ['stream', 'key', 'server'];
  #live: LiveViewers | undefined;
  #version = 0;
  #queued = false;

  connectedCallback(): void {
    this.attributeChangedCallback();
  }

  disconnectedCallback(): void {
    this.#live?.stop();
    this.#live = undefined;
  }

  /** Changes (and an upgrade's several calls) are gathered into one start: one connection. */
  attributeChangedCallback(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      this.#start();
    });
  }

  #start(): void {
    this.disconnectedCallback();
    const stream = this.getAttribute('stream') ?? '';
    const key = this.getAttribute('key') ?? '';
    if (!STREAM_ID.test(stream) || !key || !this.isConnected) return;
    let url: URL;
    try {
      url = new URL('ws', this.getAttribute('server') ?? new URL(import.meta.url).origin);
    } catch {
      return; // A malformed `server`: show nothing rather than throw from a page's markup.
    }
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('anon', anonId());
    this.#version = 0;
    this.#live = new LiveViewers({
      url: url.href,
      stream,
      onCount: () => undefined,
      onRefused: () => undefined,
      onState: (e) => {
        const changes = (e.changes ?? {}) as Record<string, { version?: number; value?: unknown }>;
        const entry = changes[key];
        if (!entry) return e.snapshot ? this.#later(0, undefined) : undefined;
        const version = entry.version ?? 0;
        if (version > this.#version || e.snapshot) this.#later(version, entry.value);
      },
    });
    this.#live.start();
  }

  #later(version: number, value: unknown): void {
    this.#version = version;
    const show = (): void => {
      if (version !== this.#version) return;
      // textContent only: a value is never parsed as HTML.
      this.textContent =
        value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
      this.hidden = value === undefined;
      this.dispatchEvent(new CustomEvent('change', { detail: { value } }));
    };
    const delay = Number(this.getAttribute('delay')) || 0;
    if (delay > 0) setTimeout(show, delay);
    else show();
  }
}
