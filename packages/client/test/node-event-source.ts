import type { EventSourceLike } from '../src/sse-transport.js';

type Handler = (event: { data?: unknown }) => void;

/**
 * A minimal EventSource over Node's fetch, for tests: `event:` and `data:` fields, comments,
 * `open`, and `error` when the stream fails or ends. Unlike a browser's it never retries by
 * itself, which the SDK does not want anyway (it closes the source on the first error).
 */
export class NodeEventSource implements EventSourceLike {
  readonly #handlers = new Map<string, Handler[]>();
  readonly #abort = new AbortController();
  #closed = false;

  constructor(url: string) {
    void this.#run(url);
  }

  addEventListener(type: string, listener: Handler): void {
    this.#handlers.set(type, [...(this.#handlers.get(type) ?? []), listener]);
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
  }

  #emit(type: string, data?: string): void {
    if (this.#closed) return;
    for (const h of this.#handlers.get(type) ?? []) h({ data });
  }

  async #run(url: string): Promise<void> {
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream' },
        signal: this.#abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`event stream refused: ${res.status}`);
      this.#emit('open');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      while (!this.#closed) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        // Each complete block (ended by a blank line) is one event.
        let end = buffer.indexOf('\n\n');
        for (; end >= 0; end = buffer.indexOf('\n\n')) {
          this.#dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // An abort (our own close) or a network failure: both end in `error` below.
    }
    this.#emit('error');
  }

  #dispatch(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) this.#emit(type, data.join('\n'));
  }
}
