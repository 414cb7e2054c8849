// The bare uWebSockets.js server's protocol (servers/uws.mjs) over the minimal WebSocket client on
// `net` (lite-socket.mjs), for viewers: one JSON text frame per chat event (servers/uws-sampled.mjs:
// a JSON array of them), whose send time it reads from the frame's bytes (the text starts with it)
// rather than parsing the JSON.
import { numberAt, openLite } from './lite-socket.mjs';

const TEXT_KEY = Buffer.from('"text":"');

export function open({ host, port, localAddress, stream, sink, timeoutMs = 20_000 }) {
  return openLite({
    host,
    port,
    path: '/',
    localAddress,
    sink,
    timeoutMs,
    handshake: ({ send, done }) => {
      send(1, JSON.stringify({ type: 'join', stream }));
      return (payload) => {
        if (JSON.parse(payload.toString()).type === 'joined')
          done((frame, now) => live(frame, now, sink));
      };
    },
  }).then((conn) => ({
    ws: conn.ws,
    publish() {
      throw new Error('uws-lite connections only watch');
    },
  }));
}

function live(payload, now, sink) {
  sink.frame(payload.length);
  for (let i = payload.indexOf(TEXT_KEY); i >= 0; i = payload.indexOf(TEXT_KEY, i + 1))
    sink.chat(numberAt(payload, i + TEXT_KEY.length), now);
}
