import type { Publisher } from './socket.js';
import type { SseHub } from './sse.js';

/**
 * Fanout's one publisher over both transports: WebSocket viewers through uWS topics, fallback
 * viewers (JSON frames only) through the SSE hub's topics.
 */
export function bothTransports(
  ws: Publisher,
  sse: Pick<SseHub, 'publish' | 'subscribers'>,
): Publisher {
  return {
    publish: (topic, frame, isBinary) => {
      ws.publish(topic, frame, isBinary);
      if (!isBinary) sse.publish(topic, frame);
    },
    subscribers: (topic) => ws.subscribers(topic) + sse.subscribers(topic),
  };
}
