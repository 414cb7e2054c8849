// `@roar/client/replay`: a stream's recorded chat replayed in step with a player (DVR or VOD)
// for a `RoarClient`, in its own entry so a live-only app leaves it out of its bundle.
import { isStreamId, viewersText, type ChatEvent, type ErrorCode } from '@roar/protocol/core';
import { featureHost, type RoarClient } from './client.js';
import { httpBase } from './http-base.js';
import type { Clock, Timer } from './clock.js';
import { ClientErrorCode, RoarClientError } from './errors.js';
import { Emitter, type Listener, type StreamChat, type StreamReactions } from './events.js';
import type { StreamViewers } from './events.js';
import { RecentIds } from './recent-ids.js';

/** `fetch` as replay uses it (GETs of JSON); `globalThis.fetch` fits. */
export type ReplayFetch = (
  url: string,
  init: { method: 'GET'; headers?: Record<string, string> },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Replaying a stream's recorded chat in step with a player (DVR or VOD). */
export interface ReplayOptions {
  /**
   * The wall-clock time (ms since the epoch, the server's clock) of the frame on screen. Read
   * every `tickMs`: a position that stops moving pauses the replay, one that jumps seeks it.
   */
  position: () => number;
  /** Buckets are fetched this far ahead of the position. Default 20,000 ms. */
  prefetchMs?: number;
  /** After a seek, the chat of this long before the new position is emitted first. Default 15,000. */
  backfillMs?: number;
  /** Most messages emitted for one backfill (the latest ones). Default 50. */
  backfillMessages?: number;
  /** How often the position is read. Default 100 ms. */
  tickMs?: number;
  /** `fetch` for the replay endpoints. Default `globalThis.fetch`. */
  fetch?: ReplayFetch;
}

/** The replay moved somewhere else (a seek): clear the chat view; the new moment's chat follows. */
export interface StreamSeek {
  stream: string;
  /** The new position. */
  position: number;
}

/** Events a `Replay` emits: the same types as live (`RoarClientEvents`), plus `seek`. */
export interface ReplayEvents {
  chat: StreamChat;
  reactions: StreamReactions;
  viewers: StreamViewers;
  seek: StreamSeek;
  error: RoarClientError;
}

/** A replayed event as the server's replay endpoints carry it (the log's schema, version 1). */
interface LogEvent {
  v: number;
  type: string;
  id: string;
  ts: number;
  data: Record<string, unknown>;
}

interface Loaded {
  events: LogEvent[];
  final: boolean;
  at: number;
}

/** A position that moves back more than this, or ahead more than `SEEK_AHEAD_MS`, is a seek. */
const SEEK_BACK_MS = 1000;
const SEEK_AHEAD_MS = 5000;
/** Events appended late to a bucket at the live edge are still emitted within this long. */
const LATE_MS = 6000;
/** A bucket not final yet is fetched again this often while it is needed. */
const HOT_REFRESH_MS = 1000;
/** One index request lists this much ahead (the server allows 300,000). */
const INDEX_SPAN_MS = 120_000;
/** A failed request is retried after this long (and reported as `error`). */
const RETRY_MS = 1000;

export interface ReplayDeps {
  stream: string;
  /** `http(s)://host[:port]` of the gateway. */
  base: string;
  fetch: ReplayFetch;
  /**
   * The client's token, sent as `Authorization: Bearer` so a server with the app's join hook
   * lets this viewer replay what it may watch (undefined: anonymous).
   */
  token?: () => Promise<string | undefined>;
  clock: Clock;
  /** Called by `goLive` with the last chat id replayed: join live from there. */
  goLive: (since: string | undefined) => Promise<unknown>;
}

/**
 * Replays `stream`'s recorded chat, reaction bursts and viewer samples in step with a player
 * (DVR or VOD): `options.position()` is the wall-clock time of the frame on screen. Emits the
 * same typed events as live, plus `seek`; `goLive()` joins live from the last message replayed.
 * Needs the server's event log (`ROAR_LOG`). Throws `invalid_argument` for a bad stream id, or
 * without `fetch`.
 */
export function replay(client: RoarClient, stream: string, options: ReplayOptions): Replay {
  if (!isStreamId(stream)) throw new RoarClientError(ClientErrorCode.InvalidArgument, stream);
  const fetch = options.fetch ?? (globalThis.fetch as ReplayFetch | undefined);
  if (!fetch) throw new RoarClientError(ClientErrorCode.InvalidArgument, 'replay needs fetch');
  const host = featureHost(client);
  return new Replay(
    {
      stream,
      base: httpBase(host.url),
      fetch: (url, init) => fetch(url, init),
      token: () => host.token(),
      clock: host.clock,
      goLive: (since) => client.join(stream, since === undefined ? {} : { since }),
    },
    options,
  );
}

/**
 * One stream's replay: reads the replay endpoints (`GET /v1/streams/{id}/replay` for the bucket
 * list, then each bucket's versioned, CDN-cacheable URL), prefetching ahead of the position, and
 * emits each event once when the position passes its time, in time order. Create it with
 * `replay(client, stream, options)`.
 *
 * Guarantees: an event is emitted at most once per playthrough (a seek starts a new one, after a
 * `seek` event); nothing is skipped for want of data — the replay waits for a bucket that has not
 * arrived rather than jump over it; deletions are applied by the server, whenever they happened.
 */
export class Replay {
  readonly stream: string;
  readonly #d: ReplayDeps;
  readonly #o: Required<Omit<ReplayOptions, 'fetch'>>;
  readonly #events = new Emitter<ReplayEvents>();
  readonly #buckets = new Map<number, Loaded>();
  readonly #loading = new Set<number>();
  readonly #urls = new Map<number, string>();
  #bucketMs = 10_000;
  #indexLoading = false;
  #retryAt = 0;
  /** Events up to here (ms) have been emitted; undefined before the first tick or after a seek. */
  #cursor: number | undefined;
  /** The position read last, and when. */
  #last: { position: number; at: number } | undefined;
  /** Nothing at or before this is emitted (the start of the current playthrough). */
  #floor = 0;
  #trimBackfill = false;
  #emitted = new RecentIds(5000);
  #lastChatId: string | undefined;
  #timer: Timer | undefined;
  #stopped = false;

  /** @internal Use `replay(client, stream, options)`. */
  constructor(deps: ReplayDeps, options: ReplayOptions) {
    this.stream = deps.stream;
    this.#d = deps;
    this.#o = {
      prefetchMs: options.prefetchMs ?? 20_000,
      backfillMs: options.backfillMs ?? 15_000,
      backfillMessages: options.backfillMessages ?? 50,
      tickMs: options.tickMs ?? 100,
      position: options.position,
    };
    this.#schedule(0);
  }

  on<K extends keyof ReplayEvents>(type: K, listener: Listener<ReplayEvents[K]>): () => void {
    return this.#events.on(type, listener);
  }

  /** The id of the last chat message emitted. */
  get lastChatId(): string | undefined {
    return this.#lastChatId;
  }

  /** Stops replaying: nothing more is emitted or fetched. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * Stops the replay and joins the stream live from the last message replayed (`since`): the
   * server sends what came after it, or a `gap` when it no longer has all of it — never a
   * duplicate, never a silent hole.
   */
  goLive(): Promise<unknown> {
    this.stop();
    return this.#d.goLive(this.#lastChatId);
  }

  /** One step: read the position, seek or play up to it, fetch what comes next. */
  tick(): void {
    if (this.#stopped) return;
    const p = this.#o.position();
    const now = this.#d.clock.now();
    if (Number.isFinite(p)) {
      // A jump against the clock (back, or ahead faster than time passed) is a seek.
      const last = this.#last;
      const ahead = last === undefined ? 0 : p - last.position - (now - last.at);
      if (last === undefined || p < last.position - SEEK_BACK_MS || ahead > SEEK_AHEAD_MS)
        this.#seek(p, last !== undefined);
      this.#last = { position: p, at: now };
      this.#play(p);
      this.#prefetch(p);
    }
    this.#schedule(this.#o.tickMs);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#d.clock.setTimer(() => this.tick(), ms);
  }

  #seek(p: number, told: boolean): void {
    this.#floor = p - this.#o.backfillMs;
    this.#cursor = this.#floor;
    this.#trimBackfill = true;
    this.#emitted = new RecentIds(5000);
    if (told) this.#events.emit('seek', { stream: this.stream, position: p });
  }

  /** Emits what lies between the cursor and `p`, as far as buckets are loaded without a hole. */
  #play(p: number): void {
    const from = this.#cursor!;
    let upTo = p;
    for (let b = this.#bucketOf(from); b <= p; b += this.#bucketMs) {
      if (!this.#buckets.has(b)) {
        upTo = Math.min(upTo, b - 1);
        break;
      }
    }
    if (upTo <= from) return;
    const lateFrom = Math.max(this.#floor, from - LATE_MS);
    const due: LogEvent[] = [];
    for (let b = this.#bucketOf(lateFrom); b <= upTo; b += this.#bucketMs) {
      for (const e of this.#buckets.get(b)?.events ?? []) {
        if (e.ts > lateFrom && e.ts <= upTo && !this.#emitted.has(e.id)) due.push(e);
      }
    }
    due.sort((a, b) => a.ts - b.ts);
    let skip = 0;
    if (this.#trimBackfill) {
      this.#trimBackfill = false;
      const chat = due.filter((e) => e.type === 'chat.published');
      skip = Math.max(0, chat.length - this.#o.backfillMessages);
    }
    this.#cursor = upTo;
    for (const e of due) {
      this.#emitted.add(e.id);
      if (e.type === 'chat.published' && skip > 0) {
        skip--;
        continue;
      }
      this.#emit(e);
    }
  }

  #emit(e: LogEvent): void {
    const { stream } = this;
    const d = e.data;
    if (e.type === 'chat.published') {
      const event = { type: 'chat', id: e.id, ts: e.ts, user: d.user, text: d.text } as ChatEvent;
      this.#lastChatId = e.id;
      this.#events.emit('chat', { stream, event });
    } else if (e.type === 'reactions.burst') {
      const counts = d.counts as Record<string, number>;
      this.#events.emit('reactions', { stream, counts, windowMs: Number(d.windowMs) });
    } else if (e.type === 'viewers.sample') {
      const total = Number(d.total);
      const viewers = { total, text: viewersText(total) };
      this.#events.emit('viewers', { stream, viewers: { ...d, ...viewers } });
    }
  }

  #bucketOf(t: number): number {
    return t - (((t % this.#bucketMs) + this.#bucketMs) % this.#bucketMs);
  }

  #prefetch(p: number): void {
    const now = this.#d.clock.now();
    if (now < this.#retryAt) return;
    const first = this.#bucketOf(this.#floor > p ? p : Math.max(this.#floor, this.#cursor!));
    const last = this.#bucketOf(p + this.#o.prefetchMs);
    for (let b = first; b <= last; b += this.#bucketMs) {
      const url = this.#urls.get(b);
      if (url === undefined) {
        this.#loadIndex(b);
        return;
      }
      const loaded = this.#buckets.get(b);
      const stale = loaded && !loaded.final && now - loaded.at > HOT_REFRESH_MS;
      if ((!loaded || stale) && !this.#loading.has(b)) this.#loadBucket(b, url);
    }
  }

  #loadIndex(from: number): void {
    if (this.#indexLoading) return;
    this.#indexLoading = true;
    const path = `/v1/streams/${this.stream}/replay?from=${from}&to=${from + INDEX_SPAN_MS}&events=0`;
    this.#get<{ bucketMs: number; buckets: { from: number; url: string }[] }>(path)
      .then((index) => {
        this.#bucketMs = index.bucketMs;
        for (const b of index.buckets) this.#urls.set(b.from, b.url);
      })
      .catch((error: unknown) => this.#failed(error))
      .finally(() => (this.#indexLoading = false));
  }

  #loadBucket(from: number, url: string): void {
    this.#loading.add(from);
    const at = this.#d.clock.now();
    this.#get<{ final: boolean; events: LogEvent[] }>(url)
      .then((bucket) => {
        this.#buckets.set(from, { events: bucket.events, final: bucket.final, at });
        // A bucket that will not change needs no index entry any more; a hot one keeps it.
        this.#evict();
      })
      .catch((error: unknown) => this.#failed(error))
      .finally(() => this.#loading.delete(from));
  }

  /** Keeps memory bounded: buckets far behind the cursor go. */
  #evict(): void {
    const keepFrom = this.#bucketOf((this.#cursor ?? 0) - this.#o.backfillMs - LATE_MS);
    if (this.#buckets.size < 64) return;
    for (const b of this.#buckets.keys()) if (b < keepFrom) this.#buckets.delete(b);
  }

  #failed(error: unknown): void {
    this.#retryAt = this.#d.clock.now() + RETRY_MS;
    if (this.#stopped) return;
    const e =
      error instanceof RoarClientError
        ? error
        : new RoarClientError(ClientErrorCode.Disconnected, 'replay request failed', {
            cause: error,
          });
    this.#events.emit('error', e);
  }

  async #get<T>(path: string): Promise<T> {
    const token = await this.#d.token?.();
    const res = await this.#d.fetch(
      `${this.#d.base}${path}`,
      token ? { method: 'GET', headers: { authorization: `Bearer ${token}` } } : { method: 'GET' },
    );
    if (!res.ok) {
      // The server's code when it sent one (`join_denied`, `token_expired`, `unavailable`...).
      const body = (await res.json().catch(() => undefined)) as
        { error?: { code?: unknown; message?: unknown } } | undefined;
      const code = body?.error?.code;
      throw new RoarClientError(
        typeof code === 'string' ? (code as ErrorCode) : ClientErrorCode.Disconnected,
        `replay: HTTP ${res.status}${typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''}`,
        { stream: this.stream },
      );
    }
    return (await res.json()) as T;
  }
}
