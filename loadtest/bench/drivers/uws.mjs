// The bare uWebSockets.js server's protocol (servers/uws.mjs): JSON text frames, a join that
// subscribes to the stream's topic, chat events published to it as they come (servers/uws-sampled.mjs:
// a JSON array of them per frame).
import { chatText, openSocket, sentAtOf } from './common.mjs';

export async function open({ host, port, localAddress, stream, id, sink, timeoutMs }) {
  const ws = await openSocket({
    url: `ws://${host}:${port}/`,
    localAddress,
    timeoutMs,
    onClose: (code) => sink.closed(code),
    handshake: (ws, done) => {
      let joined = false;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join', stream })));
      ws.on('message', (data) => {
        if (joined) return deliver(data, sink);
        if (JSON.parse(data.toString()).type === 'joined') {
          joined = true;
          done();
        }
      });
    },
  });
  return {
    ws,
    publish(seq) {
      const event = {
        type: 'chat',
        id: `b${seq}`,
        ts: Date.now(),
        user: { id, name: id },
        text: chatText(seq),
      };
      ws.send(JSON.stringify({ type: 'chat', stream, event }));
    },
  };
}

function deliver(data, sink) {
  sink.frame(data.length);
  const m = JSON.parse(data.toString());
  for (const e of Array.isArray(m) ? m : [m]) if (e.type === 'chat') sink.chat(sentAtOf(e.text));
}
