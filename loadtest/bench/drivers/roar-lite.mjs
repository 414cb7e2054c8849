// Roar's protocol over a minimal WebSocket client written on `net`, for the Roar-only sections
// with tens of thousands of connections (4 and 5): `ws` costs ~0.5 ms of CPU per connect on this
// machine, which would spend the whole time budget on 100k connects. Enough of RFC 6455 for a
// client: the upgrade, unmasked server frames (no fragmentation, no extensions), masked client
// frames, ping → pong, close.
import { msgpackCodec } from '@roar/protocol';
import { connect } from 'node:net';
import { RefusedError } from './common.mjs';

const codec = msgpackCodec;
const KEY = 'cm9hci1iZW5jaC1rZXkxMg=='; // the server only hashes it; the bench does not check the reply
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function clientFrame(opcode, payload) {
  const body = Buffer.from(payload);
  const len = body.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  for (let i = 0; i < len; i++) body[i] ^= MASK[i & 3];
  return Buffer.concat([head, MASK, body]);
}

export function open({ host, port, localAddress, stream, id, token, sink, timeoutMs = 20_000 }) {
  return new Promise((resolve, reject) => {
    const query = token ? `token=${encodeURIComponent(token)}` : `anon=${encodeURIComponent(id)}`;
    const socket = connect({ host, port, localAddress });
    socket.setNoDelay(true);
    let settled = false;
    let upgraded = false;
    let joined = false;
    let closed = false;
    let pending;
    const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs);
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const conn = {
      ws: { terminate: () => socket.destroy() },
      publish() {
        throw new Error('roar-lite connections only watch');
      },
    };
    socket.on('connect', () => {
      socket.write(
        `GET /ws?${query} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${codec.subprotocol}\r\n\r\n`,
      );
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      if (!settled) fail(new Error('closed during handshake'));
      else if (!closed) {
        closed = true;
        sink.closed(1006);
      }
    });
    const onMessage = (payload) => {
      if (joined) {
        sink.frame(payload.length);
        const m = codec.decodeServer(payload);
        if (m.type === 'batch')
          for (const e of m.events) if (e.type === 'viewers') sink.total(e.total);
        return;
      }
      const m = codec.decodeServer(payload);
      if (m.type === 'welcome')
        socket.write(clientFrame(2, codec.encodeClient({ type: 'join', ref: 1, stream })));
      else if (m.type === 'joined') {
        joined = true;
        sink.total(m.viewers.total);
        settled = true;
        clearTimeout(timer);
        resolve(conn);
      } else if (m.type === 'error') fail(new Error(`roar error ${m.code}`));
    };
    socket.on('data', (chunk) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let off = 0;
      if (!upgraded) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          pending = data;
          return;
        }
        const head = data.toString('latin1', 0, end);
        const status = Number(head.slice(9, 12));
        if (status !== 101) {
          const retryAfter = /\r\nretry-after:\s*(\d+)/i.exec(head)?.[1];
          return fail(new RefusedError(status, retryAfter));
        }
        upgraded = true;
        off = end + 4;
      }
      while (off + 2 <= data.length) {
        const opcode = data[off] & 0x0f;
        let len = data[off + 1] & 0x7f;
        let h = 2;
        if (len === 126) {
          if (off + 4 > data.length) break;
          len = data.readUInt16BE(off + 2);
          h = 4;
        } else if (len === 127) {
          if (off + 10 > data.length) break;
          len = Number(data.readBigUInt64BE(off + 2));
          h = 10;
        }
        if (off + h + len > data.length) break;
        const payload = data.subarray(off + h, off + h + len);
        off += h + len;
        if (opcode === 0x9) socket.write(clientFrame(0xa, payload));
        else if (opcode === 0x8) {
          closed = true;
          sink.closed(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
          socket.end(clientFrame(0x8, payload.subarray(0, 2)));
        } else if (opcode === 0x1 || opcode === 0x2) onMessage(payload);
      }
      if (off < data.length) pending = Buffer.from(data.subarray(off));
    });
  });
}
