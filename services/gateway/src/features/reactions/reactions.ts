import {
  ErrorCode,
  RoarError,
  type EncodedEvent,
  type ReactionsEvent,
  type ReactRequest,
  type ServerMessage,
} from '@roar/protocol';
import type { GatewayConfig } from '../../base/gateway-config.js';
import type { GatewayMetrics } from '../../base/metrics.js';
import { RateLimiter } from '../../base/token-bucket.js';
import type { Reporter } from '../../counts/reporter.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { StreamFeature } from '../feature.js';

export interface ReactionsOptions {
  registry: StreamRegistry;
  metrics: GatewayMetrics;
  /** Sends the reaction counts to the aggregator (`<prefix>.agg.react.<p>`). */
  reporter: Reporter;
  /**
   * `anonymousReactions` (`ROAR_ANONYMOUS_REACTIONS`); `reactions`, those of a stream whose rules
   * are not loaded; the per-user rate.
   */
  config: Pick<
    GatewayConfig,
    'anonymousReactions' | 'reactions' | 'reactionRatePerS' | 'reactionBurst' | 'reactionWindowMs'
  >;
}

/**
 * A viewer's reaction: checked (joined, signed in unless anonymous reactions are on, reactions on
 * for the stream, one of its emoji, the per-user rate) and counted locally; the count goes to the
 * aggregator with the next reaction report (every `reactionWindowMs`). Returns the ack to send (for a request with a `ref`),
 * or throws the `RoarError` to answer.
 *
 * On the bus it owns `<prefix>.s.<stream>.reactions`: the aggregator's bursts, merged into the
 * stream's next one (sent at most once per reaction interval; see `Fanout`).
 */
export class Reactions implements StreamFeature<'react'> {
  readonly name = 'reactions';
  readonly requests = ['react'] as const;
  readonly subjects = ['reactions'] as const;
  readonly reportEveryMs: number;
  readonly limiter: RateLimiter;
  readonly #o: ReactionsOptions;

  constructor(options: ReactionsOptions) {
    this.#o = options;
    this.reportEveryMs = options.config.reactionWindowMs;
    this.limiter = new RateLimiter(options.config.reactionRatePerS, options.config.reactionBurst);
  }

  report(streams: Iterable<StreamState>): void {
    this.#o.reporter.reportReactions(streams);
  }

  sweep(now: number): void {
    this.limiter.sweep(now);
  }

  receive(state: StreamState, encoded: EncodedEvent): boolean {
    if (encoded.event.type !== 'reactions') return false;
    state.slots.merge('reactions', encoded.event, addBurst);
    return true;
  }

  handle(req: ReactRequest, _ws: Socket, s: Session, now: number): ServerMessage | undefined {
    const { metrics, config } = this.#o;
    try {
      if (!s.streams.includes(req.stream))
        throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before reacting`);
      if (s.identity.anonymous && !config.anonymousReactions) {
        throw new RoarError(ErrorCode.Unauthenticated, 'sign in to react');
      }
      const settings = this.#o.registry.get(req.stream)?.mod.settings;
      if (settings && !settings.reactionsEnabled) {
        throw new RoarError(ErrorCode.ReactionsDisabled, 'reactions are off for this stream');
      }
      if (!(settings?.reactions ?? config.reactions).includes(req.emoji)) {
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

/** Adds a burst to the one waiting (a copy starts it), so a slower push loses no taps. */
function addBurst(waiting: ReactionsEvent | undefined, burst: ReactionsEvent): ReactionsEvent {
  if (waiting === undefined)
    return { type: 'reactions', counts: { ...burst.counts }, windowMs: burst.windowMs };
  const counts = waiting.counts;
  for (const [emoji, n] of Object.entries(burst.counts)) counts[emoji] = (counts[emoji] ?? 0) + n;
  waiting.windowMs += burst.windowMs;
  return waiting;
}
