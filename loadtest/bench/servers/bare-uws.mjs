// What the bare uWebSockets.js servers share (uws.mjs, uws-sampled.mjs): JSON text frames, a join
// that subscribes the socket to its stream's topic and answers `joined`, a chat event re-encoded
// once and handed to `onChat(stream, eventJson)`. Env: PORT (0 = any free port), HOST
// (127.0.0.1). Prints {"msg":"listening","port":n}.
import { App, us_socket_local_port } from 'uWebSockets.js';

/** Starts the server; returns its app, for `onChat` to publish on. */
export function serveBareUws(name, onChat) {
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
        onChat(m.stream, JSON.stringify(m.event));
      } else if (m.type === 'join' && typeof m.stream === 'string') {
        ws.subscribe(m.stream);
        ws.send(JSON.stringify({ type: 'joined', stream: m.stream }), false);
      }
    },
  });
  app.listen(process.env.HOST ?? '127.0.0.1', Number(process.env.PORT ?? 0), (socket) => {
    if (!socket) {
      console.error(`${name}: cannot listen`);
      process.exit(1);
    }
    console.log(JSON.stringify({ msg: 'listening', port: us_socket_local_port(socket) }));
  });
  process.on('SIGTERM', () => process.exit(0));
  return app;
}
