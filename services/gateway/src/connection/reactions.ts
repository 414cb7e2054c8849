import { ErrorCode, RoarError, type ReactRequest, type ServerMessage } from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import { RateLimiter } from '../base/token-bucket.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { Session } from '../transport/socket.js';

export interface ReactionsOptions {
  registry: StreamRegistry;
  metrics: GatewayMetrics;
  /** `ROAR_ANONYMOUS_REACTIONS`. */
  anonymousReactions: boolean;
  /** The reactions of a stream whose rules are not loaded. */
  reactions: readonly string[];
  reactionRatePerS: number;
  reactionBurst: number;
}

/**
 * A viewer's reaction: checked (joined, signed in unless anonymous reactions are on, reactions on
 * for the stream, one of its emoji, the per-user rate) and counted locally; the count goes to the
 * aggregator with the next reaction report. Returns the ack to send (for a request with a `ref`),
 * or throws the `RoarError` to answer.
 */
export class Reactions {
  readonly limiter: RateLimiter;
  readonly #o: ReactionsOptions;

  constructor(options: ReactionsOptions) {
    this.#o = options;
    this.limiter = new RateLimiter(options.reactionRatePerS, options.reactionBurst);
  }

  react(s: Session, req: ReactRequest, now: number): ServerMessage | undefined {
    const { metrics } = this.#o;
    try {
      if (!s.streams.includes(req.stream))
        throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before reacting`);
      if (s.identity.anonymous && !this.#o.anonymousReactions) {
        throw new RoarError(ErrorCode.Unauthenticated, 'sign in to react');
      }
      const settings = this.#o.registry.get(req.stream)?.mod.settings;
      if (settings && !settings.reactionsEnabled) {
        throw new RoarError(ErrorCode.ReactionsDisabled, 'reactions are off for this stream');
      }
      if (!(settings?.reactions ?? this.#o.reactions).includes(req.emoji)) {
        throw new RoarError(
          ErrorCode.ReactionNotAllowed,
          `${req.emoji} is not a reaction of this stream`,
        );
      }
      const wait = this.limiter.take(s.identity.key, now);
      if (wait > 0)
        throw new RoarError(ErrorCode.RateLimited, 'reacting too fast', { retryAfterMs: wait });
      this.#o.registry.get(req.stream)?.countReaction(req.emoji);
      metrics.reactions.inc({ result: 'accepted', reason: '' });
      return req.ref !== undefined ? { type: 'ack', ref: req.ref } : undefined;
    } catch (error) {
      if (error instanceof RoarError)
        metrics.reactions.inc({ result: 'rejected', reason: error.code });
      throw error;
    }
  }
}
