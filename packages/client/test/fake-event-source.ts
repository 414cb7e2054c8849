import type { EventSourceLike, FetchLike } from '../src/sse-transport.js';

type Handler = (event: { data?: unknown }) => void;

/** Just enough of a browser EventSource to drive the fallback transport; remembers every one. */
export class FakeEventSource implements EventSourceLike {
  static made: FakeEventSource[] = [];
  static failNext = false;
  readonly handlers = new Map<string, Handler[]>();
  closed = false;

  constructor(readonly url: string) {
    if (FakeEventSource.failNext) {
      FakeEventSource.failNext = false;
      throw new Error('blocked scheme');
    }
    FakeEventSource.made.push(this);
  }

  static get last(): FakeEventSource {
    const source = FakeEventSource.made.at(-1);
    if (!source) throw new Error('no EventSource made yet');
    return source;
  }

  static reset(): void {
    FakeEventSource.made = [];
    FakeEventSource.failNext = false;
  }

  addEventListener(type: string, listener: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
  }

  /** The server's side: an event of `type` (`message` for plain `data:` lines). */
  fire(type: string, data?: unknown): void {
    // A closed EventSource dispatches nothing, as in browsers.
    if (this.closed) return;
    for (const h of this.handlers.get(type) ?? []) h({ data });
  }

  /** A `data:` frame carrying `message` as JSON. */
  push(message: object): void {
    this.fire('message', JSON.stringify(message));
  }

  /** The stream opening as the server's does: the owner's session event, then the welcome. */
  welcome(session = 'sess-1', key = 'key-1'): void {
    this.fire('open');
    this.fire('session', JSON.stringify({ session, key }));
    this.push({ type: 'welcome', v: 1, session, user: null, maxStreams: 10 });
  }
}

interface Post {
  url: string;
  body: string;
  headers: Record<string, string>;
  respond(status?: number): void;
  fail(): void;
}

/** A `fetch` whose replies the test sends by hand, so ordering and failures can be checked. */
export class FakeFetch {
  readonly posts: Post[] = [];
  readonly fetch: FetchLike = (url, init) =>
    new Promise((resolve, reject) => {
      this.posts.push({
        url,
        body: init.body,
        headers: init.headers,
        respond: (status = 202) => resolve({ ok: status >= 200 && status < 300, status }),
        fail: () => reject(new TypeError('network error')),
      });
    });

  /** Answers every post that is waiting with 202, in order; returns how many were answered. */
  acceptAll(): number {
    let n = 0;
    for (const post of this.posts) {
      post.respond();
      n++;
    }
    return n;
  }
}
