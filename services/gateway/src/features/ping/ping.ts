import type { PingRequest, PongMessage } from '@roar/protocol';
import type { StreamFeature } from '../feature.js';

/** `ping` is answered with `pong` and the server's clock (clients learn their clock offset). */
export class Ping implements StreamFeature<'ping'> {
  readonly name = 'ping';
  readonly requests = ['ping'] as const;

  handle(request: PingRequest, _ws: unknown, _s: unknown, now: number): PongMessage {
    return { type: 'pong', ...(request.ref !== undefined ? { ref: request.ref } : {}), ts: now };
  }
}
