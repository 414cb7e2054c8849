// Bare uWebSockets.js: the floor a uWS-based server cannot go below. A join subscribes the
// socket to its stream's topic; a chat is decoded once, re-encoded once and published to the
// topic, so uWS's C++ loop writes it to every subscriber.
// Env: PORT (0 = any free port), HOST (127.0.0.1). Prints {"msg":"listening","port":n}.
import { App, us_socket_local_port } from 'uWebSockets.js';

const decoder = new TextDecoder();
const app = App();
app.ws('/*', {
  maxPayloadLength: 16 * 1024,
  idleTimeout: 120,
  maxBackpressure: 1 << 20,
  closeOnBackpressureLimit: false,
  message: (ws, data) => {
    let m;
    try {
      m = JSON.parse(decoder.decode(data));
    } catch {
      return ws.end(1003, 'bad frame');
    }
    if (m.type === 'chat' && typeof m.stream === 'string') {
      app.publish(m.stream, JSON.stringify(m.event), false);
    } else if (m.type === 'join' && typeof m.stream === 'string') {
      ws.subscribe(m.stream);
      ws.send(JSON.stringify({ type: 'joined', stream: m.stream }), false);
    }
  },
});
app.listen(process.env.HOST ?? '127.0.0.1', Number(process.env.PORT ?? 0), (socket) => {
  if (!socket) {
    console.error('uws: cannot listen');
    process.exit(1);
  }
  console.log(JSON.stringify({ msg: 'listening', port: us_socket_local_port(socket) }));
});
process.on('SIGTERM', () => process.exit(0));
