import { msgpackCodec, type ClientMessage } from '@roar/protocol';
import { Logger } from '@roar/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/base/config.js';
import type { Identity } from '../src/base/identity.js';
import { startEmbedded, type Embedded } from '../src/embedded.js';
import { fakeSession, RecordingSocket } from './fake-socket.js';

// Chat's acceptance through the real connection layer of an embedded gateway, on sockets that
// record what they are sent: what is answered at once (within the frame's own call), what later,
// and that every request still gets its own reply.

let embedded: Embedded | undefined;
afterEach(async () => {
  await embedded?.stop();
  embedded = undefined;
});

async function gateway(env: Record<string, string> = {}): Promise<Embedded> {
  const config = loadGatewayConfig({
    ROAR_MODE: 'embedded',
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ROAR_JWT_SECRET: 'test-secret-test-secret-test-secret-32',
    ROAR_DRAIN_WINDOW_MS: '0',
    ...env,
  });
  embedded = await startEmbedded(config, new Logger('error', { service: 'test' }));
  return embedded;
}

function frame(message: ClientMessage): ArrayBuffer {
  const bytes = msgpackCodec.encodeClient(message) as Uint8Array;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function joined(g: Embedded, user: string, roles: string[] = []): Promise<RecordingSocket> {
  const identity: Identity = {
    key: `u:${user}`,
    userId: user,
    name: user,
    roles,
    anonymous: false,
  };
  const ws = new RecordingSocket(
    fakeSession(user, { identity, ready: false, ip: '127.0.0.2', open: false }),
  );
  g.gateway.connections.open(ws);
  g.gateway.connections.message(ws, frame({ type: 'join', ref: 0, stream: 's' }));
  const deadline = Date.now() + 5000;
  while (!ws.sent.some((m) => m.type === 'joined') && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  expect(ws.sent.some((m) => m.type === 'joined')).toBe(true);
  ws.sent.length = 0;
  return ws;
}

const replies = (ws: RecordingSocket) =>
  ws.sent.filter((m) => m.type === 'ack' || m.type === 'error');

describe('chat acceptance', () => {
  it('answers each message within its own frame: acks in order, a refusal as its own error', async () => {
    const g = await gateway({ ROAR_CHAT_RATE: '1', ROAR_CHAT_BURST: '2' });
    const ws = await joined(g, 'ann');
    for (let ref = 1; ref <= 3; ref++) {
      g.gateway.connections.message(
        ws,
        frame({ type: 'chat', ref, stream: 's', text: `hi ${ref}` }),
      );
      // Nothing awaited: the reply is written before the frame's call returns.
      expect(replies(ws)).toHaveLength(ref);
    }
    const [a, b, c] = replies(ws);
    expect(a).toMatchObject({ type: 'ack', ref: 1 });
    expect(b).toMatchObject({ type: 'ack', ref: 2 });
    expect(c).toMatchObject({ type: 'error', ref: 3, code: 'rate_limited', stream: 's' });
    // Without a ref an accepted message gets no reply, a refused one still does.
    g.gateway.connections.message(ws, frame({ type: 'chat', stream: 's', text: 'no ref' }));
    expect(replies(ws).at(-1)).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(replies(ws)).toHaveLength(4);
  });

  it('acks a message the stream delays once it is held, with held: true, and no position', async () => {
    const g = await gateway();
    const mod = await joined(g, 'mo', ['moderator:s']);
    g.gateway.connections.message(
      mod,
      frame({
        type: 'mod',
        ref: 9,
        stream: 's',
        action: { type: 'settings', settings: { holdS: 30 } },
      }),
    );
    const deadline = Date.now() + 5000;
    while (!replies(mod).some((m) => m.type === 'ack') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(replies(mod)).toEqual([expect.objectContaining({ type: 'ack', ref: 9 })]);
    const ws = await joined(g, 'bob');
    g.gateway.connections.message(ws, frame({ type: 'chat', ref: 1, stream: 's', text: 'wait' }));
    // Holding it is a store write: the ack comes after, not within the frame's call.
    expect(replies(ws)).toEqual([]);
    while (replies(ws).length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(replies(ws)).toEqual([expect.objectContaining({ type: 'ack', ref: 1, held: true })]);
    // A moderator is not delayed: answered at once.
    g.gateway.connections.message(mod, frame({ type: 'chat', ref: 10, stream: 's', text: 'now' }));
    expect(replies(mod).at(-1)).toMatchObject({ type: 'ack', ref: 10 });
    expect(replies(mod).at(-1)).not.toHaveProperty('held');
  });
});
