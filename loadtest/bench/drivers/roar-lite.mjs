// Roar's protocol over the minimal WebSocket client on `net` (lite-socket.mjs), for viewers in
// the sections with tens of thousands of connections or hundreds of thousands of deliveries a
// second: it finds what it counts in each frame's bytes instead of decoding the frame (chat
// texts, which start with their send time; the widgets bench's state values by their `seq`;
// totals, decoded only in frames that carry one).
import { msgpackCodec } from '@roar/protocol';
import { numberAt, openLite } from './lite-socket.mjs';

const codec = msgpackCodec;
/** A msgpack map key `text` (fixstr of 4), and `total` (fixstr of 5). */
const TEXT_KEY = Buffer.from([0xa4, 0x74, 0x65, 0x78, 0x74]);
const TOTAL_KEY = Buffer.from([0xa5, 0x74, 0x6f, 0x74, 0x61, 0x6c]);
/** A live-state value as the widgets bench writes it: `value: { seq, sentAt }` (a map of two). */
const STATE_SEQ = Buffer.from([0xa5, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x82, 0xa3, 0x73, 0x65, 0x71]);

export function open({ host, port, localAddress, stream, id, token, sink, timeoutMs = 20_000 }) {
  const query = token ? `token=${encodeURIComponent(token)}` : `anon=${encodeURIComponent(id)}`;
  return openLite({
    host,
    port,
    path: `/ws?${query}`,
    protocol: codec.subprotocol,
    localAddress,
    sink,
    timeoutMs,
    handshake: ({ send, done, fail }) => {
      return (payload) => {
        const m = codec.decodeServer(payload);
        if (m.type === 'welcome') send(2, codec.encodeClient({ type: 'join', ref: 1, stream }));
        else if (m.type === 'joined') {
          sink.total(m.viewers.total);
          done((frame, now) => live(frame, now, sink));
        } else if (m.type === 'error') fail(new Error(`roar error ${m.code}`));
      };
    },
  }).then((conn) => ({
    ws: conn.ws,
    publish() {
      throw new Error('roar-lite connections only watch');
    },
  }));
}

function live(payload, now, sink) {
  sink.frame(payload.length);
  for (let i = payload.indexOf(TEXT_KEY); i >= 0; i = payload.indexOf(TEXT_KEY, i + 5)) {
    // The bench's chat texts are 64 characters (a str8); a viewer count's `text` ("19K") is a
    // short fixstr, and is not chat.
    if (payload[i + 5] === 0xd9 && payload[i + 6] >= 32) sink.chat(numberAt(payload, i + 7), now);
  }
  for (let i = payload.indexOf(STATE_SEQ); i >= 0; i = payload.indexOf(STATE_SEQ, i + 1)) {
    const seq = uintAt(payload, i + STATE_SEQ.length);
    if (seq !== undefined) sink.stateSeq(seq, now);
  }
  if (payload.indexOf(TOTAL_KEY) >= 0) {
    const m = codec.decodeServer(payload);
    if (m.type === 'batch') for (const e of m.events) if (e.type === 'viewers') sink.total(e.total);
  }
}

/** A msgpack unsigned integer at `buf[i]` (fixint, uint 8/16/32), else undefined. */
function uintAt(buf, i) {
  const tag = buf[i];
  if (tag < 0x80) return tag;
  if (tag === 0xcc) return buf[i + 1];
  if (tag === 0xcd) return buf.readUInt16BE(i + 1);
  if (tag === 0xce) return buf.readUInt32BE(i + 1);
  return undefined;
}
