// Roar's own protocol (docs/protocol.md), msgpack subprotocol: welcome → join → joined, then
// batch frames. Chatters sign in with an HS256 token; viewers are anonymous.
import { msgpackCodec } from '@roar/protocol';
import { createHmac } from 'node:crypto';
import { chatText, openSocket, sentAtOf } from './common.mjs';

const codec = msgpackCodec;

/** An HS256 JWT for `sub`, signed with the gateway's ROAR_JWT_SECRET. */
export function mintToken(secret, sub) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    sub,
    name: sub,
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export async function open({ host, port, localAddress, stream, id, token, sink, timeoutMs }) {
  const query = token ? `token=${encodeURIComponent(token)}` : `anon=${encodeURIComponent(id)}`;
  const ws = await openSocket({
    url: `ws://${host}:${port}/ws?${query}`,
    protocol: codec.subprotocol,
    localAddress,
    timeoutMs,
    onClose: (code) => sink.closed(code),
    handshake: (ws, done, fail) => {
      let joined = false;
      ws.on('message', (data) => {
        if (joined) return deliver(data, sink);
        const m = codec.decodeServer(data);
        if (m.type === 'welcome') {
          ws.send(codec.encodeClient({ type: 'join', ref: 1, stream }));
        } else if (m.type === 'joined') {
          joined = true;
          sink.total(m.viewers.total);
          done();
        } else if (m.type === 'error') {
          fail(new Error(`roar error ${m.code}: ${m.message}`));
        }
      });
    },
  });
  return {
    ws,
    publish(seq) {
      ws.send(codec.encodeClient({ type: 'chat', stream, text: chatText(seq) }));
    },
  };
}

function deliver(data, sink) {
  sink.frame(data.length);
  const m = codec.decodeServer(data);
  if (m.type !== 'batch') return;
  for (const e of m.events) {
    if (e.type === 'chat') sink.chat(sentAtOf(e.text));
    else if (e.type === 'viewers') sink.total(e.total);
    else if (e.type === 'state') sink.state(e);
  }
}
