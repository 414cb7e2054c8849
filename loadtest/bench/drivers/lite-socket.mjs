// A minimal WebSocket client on `net`, for load generators that must stay cheaper than the server
// they measure: `ws` costs ~0.5 ms of CPU per connect and 15–20 µs per frame received here. Enough
// of RFC 6455 for a client: the upgrade, unmasked server frames (no fragmentation, no
// extensions), masked client frames, ping → pong, close. The frames of one read are handed over
// with one arrival time: a server that puts several frames in one write (uWS publish when behind)
// costs one clock read for all of them. Reads land in one buffer shared by every connection of the
// process (`onread`): no stream machinery, no buffer per read; a frame's payload is only valid
// during the call that hands it over (a partial frame is copied until its rest arrives).
import { connect } from 'node:net';
import { nowMs, RefusedError } from './common.mjs';

const KEY = 'cm9hci1iZW5jaC1rZXkxMg=='; // the server only hashes it; the bench does not check the reply
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
/** Where every connection of this process reads into (see `onread` in Node's `net.connect`). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export function clientFrame(opcode, payload) {
  const body = Buffer.from(payload);
  const len = body.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  for (let i = 0; i < len; i++) body[i] ^= MASK[i & 3];
  return Buffer.concat([head, MASK, body]);
}

/**
 * Opens a connection to `ws://host:port{path}` and, once upgraded, runs `handshake({ send, done,
 * fail })`, which returns the handler of messages until it calls `done(live)`; `live(payload, now)` then gets
 * every data frame. Resolves with `{ ws: { terminate }, send }`; `sink.closed(code)` on a close.
 */
export function openLite({ host, port, path, protocol, localAddress, sink, timeoutMs, handshake }) {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      localAddress,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => onData(buf.subarray(0, n)) },
    });
    socket.setNoDelay(true);
    let settled = false;
    let upgraded = false;
    let closed = false;
    let pending;
    const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs ?? 20_000);
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const send = (opcode, payload) => socket.write(clientFrame(opcode, payload));
    const conn = { ws: { terminate: () => socket.destroy() }, send };
    let onMessage;
    const done = (live) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onMessage = live;
      resolve(conn);
    };
    socket.on('connect', () => {
      const sub = protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '';
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${sub}\r\n`,
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
    const onData = (chunk) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let off = 0;
      if (!upgraded) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          pending = Buffer.from(data);
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
        // The protocol's own steps start once the upgrade is answered.
        onMessage = handshake({ send, fail, done });
      }
      let now;
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
        } else if (opcode === 0x1 || opcode === 0x2) onMessage(payload, (now ??= nowMs()));
      }
      if (off < data.length) pending = Buffer.from(data.subarray(off));
    };
  });
}

/**
 * The number written in ASCII at `buf[i]` (digits, an optional fraction), as the bench's chat
 * texts start with their send time; no string is made.
 */
export function numberAt(buf, i) {
  let n = 0;
  let c = buf[i];
  while (c >= 0x30 && c <= 0x39) {
    n = n * 10 + (c - 0x30);
    c = buf[++i];
  }
  if (c !== 0x2e) return n;
  let scale = 0.1;
  c = buf[++i];
  while (c >= 0x30 && c <= 0x39) {
    n += (c - 0x30) * scale;
    scale /= 10;
    c = buf[++i];
  }
  return n;
}
