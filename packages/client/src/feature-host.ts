import type { ClientMessage, StreamEvent } from '@roar/protocol/core';
import type { Clock } from './clock.js';
import type { Replies, RequestKind } from './pending-requests.js';
import type { StreamState } from './streams.js';

/**
 * Handles one type of stream event the core does not know (a poll, a Q&A board, live state),
 * for a stream the app has joined.
 */
export type FeatureHandler = (stream: string, event: StreamEvent, state: StreamState) => void;

/**
 * What a feature entry (`@roar/client/polls`, `/qa`, `/live-state`, `/replay`) uses of a client,
 * so features live in their own modules and a bundler leaves out those an app does not import.
 * Not part of the public API: features get it with `featureHost(client)` (`client.ts`).
 */
export interface FeatureHost {
  /** The WebSocket URL the client dials. */
  readonly url: string;
  readonly clock: Clock;
  /** The client's token now (its `token` option, resolved), for features' HTTP requests. */
  token(): Promise<string | undefined>;
  /** Sends a request and settles as the client's own requests do (see `RoarClient`). */
  request<K extends RequestKind>(
    kind: K,
    build: (ref: number) => ClientMessage,
  ): Promise<Replies[K]>;
  /** Adds a handler for a stream event type; returns the function that removes it. */
  handle(type: string, handler: FeatureHandler): () => void;
  /**
   * Runs `release` when the player reaches `ts` with playback alignment on (at once without it,
   * or for `ts` undefined when nothing is held), in order with chat; never for a stream left in
   * the meantime, nor after `close()`.
   */
  deliver(stream: string, ts: number | undefined, release: () => void): void;
}
