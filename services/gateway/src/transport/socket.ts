import type { Codec, RoarError } from '@roar/protocol';
import type { Identity } from '../base/identity.js';
import type { SessionCredentials } from '../hooks/index.js';
import type { TokenBucket } from '../base/token-bucket.js';

/**
 * Per-connection state, kept as the WebSocket's user data (no wrapper object per connection:
 * idle connections must stay small). Fields that only active clients need are created lazily.
 */
export interface Session {
  readonly id: string;
  /** Anonymous until the token (if any) is verified, just after open. */
  identity: Identity;
  /** The bearer token, kept only until it is verified. */
  token: string | undefined;
  /** The app session (cookie, Authorization) for the connect hook, kept until it answers. */
  credentials: SessionCredentials | undefined;
  /** True once the welcome is sent: frames before that wait in `backlog`. */
  ready: boolean;
  /** Frames received while the token was being verified, copied (uWS reuses their memory). */
  backlog: Uint8Array[] | undefined;
  readonly codec: Codec;
  readonly ip: string;
  /** Streams joined, at most `maxStreamsPerConnection` together with `joining`. */
  streams: string[];
  /** Streams whose join waits for the app's join hook; made on the first such join. */
  joining?: string[] | undefined;
  open: boolean;
  /** Set by the transport when the socket closed; no handler may touch it afterwards. */
  closed: boolean;
  /** Set when the connection must be refused at open (no token where one is required). */
  authError: RoarError | undefined;
  /** Frame-rate bucket, made on the first frame received. */
  frames: TokenBucket | undefined;
  /** Frames dropped in a row for exceeding the frame rate. */
  floodDrops: number;
  /** Malformed frames received. */
  badFrames: number;
  /** Since when the connection is slow (on the priority tier); undefined when it keeps up. */
  slowSince: number | undefined;
}

/**
 * The part of a WebSocket the gateway uses; uWebSockets.js sockets satisfy it, and only the
 * transport module knows that.
 */
export interface Socket {
  send(message: Uint8Array | string, isBinary?: boolean): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  end(code?: number, shortMessage?: string): void;
  /** Closes at once, dropping what is buffered, with no close frame (the peer sees 1006). */
  close(): void;
  getBufferedAmount(): number;
  getUserData(): Session;
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
