// Socket.IO 4 as most Node teams would write it: websocket transport only, rooms, and
// `io.to(room).emit` for fanout (one encode, one write per socket).
// Env: PORT (0 = any free port), HOST (127.0.0.1). Prints {"msg":"listening","port":n}.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 16 * 1024,
});
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.join(room);
    if (typeof ack === 'function') ack('ok');
  });
  socket.on('chat', (room, event) => {
    if (typeof room === 'string') io.to(room).emit('chat', event);
  });
});
http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', 4096, () => {
  console.log(JSON.stringify({ msg: 'listening', port: http.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
