// Socket.IO v4 over the websocket transport only, spoken directly (Engine.IO v4 packets over `ws`):
// "0{...}" open → "40" → "40{sid}" → join with an ack → "42[...]" events; "2" pings answered "3".
import { chatText, openSocket, sentAtOf } from './common.mjs';

export async function open({ host, port, localAddress, stream, id, sink, timeoutMs }) {
  const ws = await openSocket({
    url: `ws://${host}:${port}/socket.io/?EIO=4&transport=websocket`,
    localAddress,
    timeoutMs,
    onClose: (code) => sink.closed(code),
    handshake: (ws, done, fail) => {
      let joined = false;
      ws.on('message', (data, isBinary) => {
        if (isBinary) return fail(new Error('unexpected binary frame'));
        const text = data.toString();
        if (text === '2') return ws.send('3');
        if (joined) return deliver(text, sink);
        if (text.startsWith('0{')) ws.send('40');
        else if (text.startsWith('40')) ws.send(`421${JSON.stringify(['join', stream])}`);
        else if (text.startsWith('431')) {
          joined = true;
          done();
        } else if (text.startsWith('44')) fail(new Error(`socket.io connect error ${text}`));
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
      ws.send(`42${JSON.stringify(['chat', stream, event])}`);
    },
  };
}

function deliver(text, sink) {
  sink.frame(text.length);
  if (!text.startsWith('42')) return;
  const [name, event] = JSON.parse(text.slice(2));
  if (name === 'chat') sink.chat(sentAtOf(event.text));
}
