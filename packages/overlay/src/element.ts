import { anonId } from './anon-id.js';
import { formatWatching } from './format.js';
import { LiveViewers } from './live.js';
import { ViewersPoller } from './poll.js';

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_INTERVAL_S = 5;
/** Polling faster than this would cost more than the live connection it replaces. */
const MIN_INTERVAL_S = 1;

const STYLE = `
:host{display:inline-flex;align-items:center;gap:.4em;padding:.2em .65em;border-radius:1em;
background:rgba(0,0,0,.6);color:#fff;font:600 14px/1.4 system-ui,sans-serif;
font-variant-numeric:tabular-nums;white-space:nowrap}
:host([hidden]),:host(:not([data-total])){display:none}
.dot{width:.5em;height:.5em;border-radius:50%;background:#e5484d}`;

/**
 * `<roar-viewers stream="final-2026">`: shows "1.2M watching" for a stream, and nothing else.
 *
 * Attributes: `stream` (required); `server` (the gateway's base URL, default the origin this
 * script was loaded from); `mode` (`live`, the default: one anonymous WebSocket; `poll`: the
 * cacheable `GET /v1/streams/{id}/viewers`, which a CDN can serve); `interval` (seconds between
 * polls, default 5); `lang` (the number's locale, default `navigator.language`); `label` (the
 * word after the number, default "watching"). It stays hidden until the first count arrives,
 * and fires `change` with `detail.total` whenever the count changes. Live mode falls back to
 * polling when the server refuses the connection for good.
 */
export class RoarViewersElement extends HTMLElement {
  static readonly observedAttributes = ['stream', 'server', 'mode', 'interval', 'lang', 'label'];
  readonly #text: HTMLSpanElement;
  #source: { stop(): void } | undefined;
  /** Polls the count while a live connection is being retried (see `onWaiting`). */
  #bridge: ViewersPoller | undefined;
  /** What the running source was started for (mode, server, stream, interval). */
  #sourceKey: string | undefined;
  #restartQueued = false;
  #total: number | undefined;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    this.#text = document.createElement('span');
    this.#text.setAttribute('part', 'count');
    root.append(style, dot, this.#text);
  }

  /** The last count received, or undefined before the first. */
  get total(): number | undefined {
    return this.#total;
  }

  connectedCallback(): void {
    this.#queueRestart();
  }

  disconnectedCallback(): void {
    this.#stop();
  }

  attributeChangedCallback(name: string): void {
    if (name === 'lang' || name === 'label') this.#render();
    else this.#queueRestart();
  }

  /**
   * An upgrade (the script defining the element after the page set its attributes) calls
   * `attributeChangedCallback` once per attribute and then `connectedCallback`, all before any
   * microtask: starting on each would dial once per call and drop all but the last (a connection
   * storm on every player page). So the callbacks only note that something changed, and one
   * microtask later the element starts once, from its final attributes, and only if they differ
   * from what it is already running.
   */
  #queueRestart(): void {
    if (this.#restartQueued) return;
    this.#restartQueued = true;
    queueMicrotask(() => {
      this.#restartQueued = false;
      this.#restart();
    });
  }

  #stop(): void {
    this.#source?.stop();
    this.#source = undefined;
    this.#bridge?.stop();
    this.#bridge = undefined;
    this.#sourceKey = undefined;
  }

  #restart(): void {
    if (!this.isConnected) return this.#stop();
    const stream = this.getAttribute('stream') ?? '';
    const base = this.#base();
    const mode = this.getAttribute('mode') === 'poll' ? 'poll' : 'live';
    const key = [mode, base?.href, stream, mode === 'poll' ? this.#intervalS() : ''].join(' ');
    if (this.#source && key === this.#sourceKey) return;
    this.#stop();
    if (!STREAM_ID.test(stream) || !base) return;
    this.#sourceKey = key;
    if (mode === 'poll') return this.#poll(base, stream);
    const url = new URL('ws', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('anon', anonId());
    const live = new LiveViewers({
      url: url.href,
      stream,
      onCount: (total) => {
        this.#bridge?.stop();
        this.#bridge = undefined;
        this.#show(total);
      },
      onRefused: () => {
        if (this.#source === live) this.#poll(base, stream);
      },
      // Refused for now (a storm at the toss): the cacheable count until live is back.
      onWaiting: () => {
        if (this.#source === live && !this.#bridge) this.#bridge = this.#poller(base, stream);
      },
    });
    this.#source = live;
    live.start();
  }

  #intervalS(): number {
    const seconds = Number(this.getAttribute('interval') ?? DEFAULT_INTERVAL_S);
    return Number.isFinite(seconds) ? Math.max(MIN_INTERVAL_S, seconds) : DEFAULT_INTERVAL_S;
  }

  #poll(base: URL, stream: string): void {
    this.#source = this.#poller(base, stream);
  }

  #poller(base: URL, stream: string): ViewersPoller {
    const intervalS = this.#intervalS();
    const url = new URL(`v1/streams/${stream}/viewers`, base);
    const poller = new ViewersPoller({
      url: url.href,
      intervalMs: intervalS * 1000,
      revalidation: url.origin === location.origin ? 'manual' : 'browser',
      onCount: (total) => this.#show(total),
    });
    poller.start();
    return poller;
  }

  /** The server's base URL, ending in a slash so relative paths keep any prefix it has. */
  #base(): URL | undefined {
    const server = this.getAttribute('server') ?? new URL(import.meta.url).origin;
    try {
      const url = new URL(server, location.href);
      if (!url.pathname.endsWith('/')) url.pathname += '/';
      return url;
    } catch {
      // A malformed `server` attribute: show nothing rather than throw from a page's markup.
      return undefined;
    }
  }

  #show(total: number): void {
    if (total === this.#total) return;
    this.#total = total;
    this.setAttribute('data-total', String(total));
    this.#render();
    this.dispatchEvent(new CustomEvent('change', { detail: { total } }));
  }

  #render(): void {
    if (this.#total === undefined) return;
    const lang = this.getAttribute('lang') || navigator.language;
    // textContent only: nothing here is ever parsed as HTML, whatever the attributes hold.
    this.#text.textContent = formatWatching(
      this.#total,
      lang,
      this.getAttribute('label') ?? undefined,
    );
  }
}
