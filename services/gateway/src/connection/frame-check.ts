import { ErrorCode, ProtocolError, type ClientMessage } from '@roar/protocol';
import type { GatewayMetrics } from '../base/metrics.js';
import { TokenBucket } from '../base/token-bucket.js';
import { Disconnect } from '../transport/disconnect.js';
import type { Session, Socket } from '../transport/socket.js';
import type { Replies } from './replies.js';

/** Malformed frames tolerated before the connection is closed as a broken client. */
export const MAX_BAD_FRAMES = 10;
/** Frames dropped in a row, for exceeding the frame rate, before the connection is closed. */
export const MAX_FLOOD_DROPS = 100;
/**
 * Frames above `maxPayloadBytes` get a `frame_too_large` error; frames above this many times that
 * are cut by the transport, which drops the connection (clients see 1006).
 */
export const MAX_PAYLOAD_CUT_FACTOR = 4;
/** Frames a client may send before its welcome (while its token is verified). */
export const MAX_BACKLOG_FRAMES = 16;

export interface FrameCheckOptions {
  metrics: GatewayMetrics;
  replies: Replies;
  frameRatePerS: number;
  frameBurst: number;
  maxPayloadBytes: number;
}

/**
 * The cheapest refusals, before a frame means anything: the per-connection frame rate, the size
 * limit, then decoding. A refused frame is answered (once per burst of drops) and counted; a
 * connection that keeps flooding or sending garbage is closed.
 */
export class FrameCheck {
  readonly #o: FrameCheckOptions;

  constructor(options: FrameCheckOptions) {
    this.#o = options;
  }

  /** The request a frame carries, or undefined when it was refused (and answered). */
  decode(
    ws: Socket,
    s: Session,
    data: ArrayBuffer | Uint8Array,
    now: number,
  ): ClientMessage | undefined {
    const { replies } = this.#o;
    this.#o.metrics.frameIn();
    s.frames ??= new TokenBucket(this.#o.frameRatePerS, this.#o.frameBurst, now);
    if (!s.frames.take(now)) {
      s.floodDrops++;
      if (s.floodDrops > MAX_FLOOD_DROPS) {
        replies.close(ws, Disconnect.Flood);
        return undefined;
      }
      // One error per burst of drops, not one per dropped frame: answering a flood is a flood.
      if (s.floodDrops === 1) {
        replies.reject(
          ws,
          new ProtocolError(ErrorCode.Flood, 'too many frames; slow down', {
            retryAfterMs: s.frames.retryAfterMs(now),
          }),
        );
      }
      return undefined;
    }
    s.floodDrops = 0;

    if (data.byteLength > this.#o.maxPayloadBytes) {
      s.badFrames++;
      replies.reject(
        ws,
        new ProtocolError(
          ErrorCode.FrameTooLarge,
          `frames are limited to ${this.#o.maxPayloadBytes} bytes`,
        ),
      );
      if (s.badFrames > MAX_BAD_FRAMES) replies.close(ws, Disconnect.ProtocolViolation);
      return undefined;
    }
    try {
      return s.codec.decodeClient(data);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      s.badFrames++;
      replies.reject(ws, error);
      if (s.badFrames > MAX_BAD_FRAMES) replies.close(ws, Disconnect.ProtocolViolation);
      return undefined;
    }
  }
}
