import type { Codec, RoarError } from '@roar/protocol';
import type { Identity, SessionCredentials } from '../base/identity.js';
import type { TokenBucket } from '../base/token-bucket.js';

/**
 * How a connection signs in, decided at upgrade and dropped once it is acted on (at open): a
 * bearer token to verify, the app session (cookie, Authorization) for the connect hook, or the
 * reason to refuse it (no token where one is required).
 */
export type SignIn =
  | { readonly token: string }
  | { readonly credentials: SessionCredentials }
  | { readonly refuse: RoarError };

/**
 * Per-connection state, kept as the WebSocket's user data (no wrapper object per connection:
 * idle connections must stay small). Fields that only active clients need are created lazily.
 *
 * At most SESSION_FIELDS fields, all present from the upgrade: uWS copies them onto its socket
 * object one by one, and V8 turns an object given a 16th property that way into a hash table
 * (about 800 bytes more per connection instead of about 150).
 */
export interface Session {
  readonly id: string;
  /** Anonymous until the token (if any) is verified, just after open. */
  identity: Identity;
  /** How to sign the connection in at open; undefined for anonymous viewers and after open. */
  signIn: SignIn | undefined;
  /** True once the welcome is sent: frames before that wait in `backlog`. */
  ready: boolean;
  /** Frames received while the token was being verified, copied (uWS reuses their memory). */
  backlog: Uint8Array[] | undefined;
  readonly codec: Codec;
  readonly ip: string;
  /** Streams joined, at most `maxStreamsPerConnection` together with `joining`. */
  streams: string[];
  /** Streams whose join waits for the app's join hook; made on the first such join. */
  joining: string[] | undefined;
  open: boolean;
  /** Set by the transport when the socket closed; no handler may touch it afterwards. */
  closed: boolean;
  /** Frame-rate bucket, made on the first frame received. */
  frames: TokenBucket | undefined;
  /** Frames dropped in a row for exceeding the frame rate. */
  floodDrops: number;
  /** Malformed frames received. */
  badFrames: number;
  /** Since when the connection is slow (on the priority tier); undefined when it keeps up. */
  slowSince: number | undefined;
}

/** See `Session`: one more field and every connection's socket object grows about fivefold. */
export const SESSION_FIELDS = 15;

/**
 * The part of a WebSocket the gateway uses; uWebSockets.js sockets satisfy it (only the transport
 * module knows that), and so does the SSE fallback's socket. Both keep these guarantees, checked
 * by one contract suite (`describeSocketContract`, test/socket-contract.ts). No method may be
 * called once the close handler has run for the socket (uWS throws).
 */
export interface Socket {
  /**
   * Writes one frame, after those sent before: 1 written, 0 buffered behind a peer that is not
   * reading (it still goes out), 2 dropped: uWS drops past `maxBackpressure`; the SSE socket has
   * no limit of its own (the slow-client sweep closes it past the same hard limit).
   */
  send(message: Uint8Array | string, isBinary?: boolean): number;
  /** The socket gets what is published to `topic`, once however often it subscribes; true. */
  subscribe(topic: string): boolean;
  /** True when the socket was subscribed to `topic`. */
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  /**
   * Closes after what was sent, the peer seeing `code` and `shortMessage` (SSE: a `close` event);
   * the close handler runs before this returns.
   */
  end(code?: number, shortMessage?: string): void;
  /**
   * Closes at once, dropping what is buffered, with no close frame (the peer sees 1006); the
   * close handler runs before this returns.
   */
  close(): void;
  /** Bytes waiting for the peer; back to 0 once it reads again, with no further send. */
  getBufferedAmount(): number;
  /** The session the connection was opened with (the same object). */
  getUserData(): Session;
  /** Runs `cb` at once, its writes going out together. */
  cork(cb: () => void): unknown;
}

/** Topic-based fanout: one call writes a frame to every socket subscribed to the topic. */
export interface Publisher {
  publish(topic: string, frame: Uint8Array | string, isBinary: boolean): void;
  subscribers(topic: string): number;
}

/**
 * The uWS topic of a stream for one codec (each codec's frames are encoded once per tick), on the
 * full tier or the priority tier that slow connections are moved to, for one slice of the
 * stream's viewers (see `Fanout`; most streams have only slice 0).
 */
export function topicOf(codec: Codec, stream: string, priorityTier = false, slice = 0): string {
  const base = codec.binary ? `m/${stream}` : `j/${stream}`;
  const topic = slice === 0 ? base : `${base}#${slice}`;
  return priorityTier ? `${topic}!` : topic;
}
